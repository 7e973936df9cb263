/**
 * `pnpm bench` (apps/device): batched versus one-by-one upload throughput of the device's outbox against a started
 * emulator. Prints a table (and with --json one JSON object); asserts nothing.
 *
 * The emulator keeps a data file, as under `pnpm dev`. With `--link-latency-ms N` the device reaches it through a
 * relay that holds every chunk N ms each way (25 ≈ a hosted Medplum a region away): that is where batching pays.
 *
 *   node bench/upload-throughput.ts [--orders 100] [--batch 20] [--link-latency-ms 0] [--json] [--verbose]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ServiceRequest } from '@medplum/fhirtypes';
import { signInWithPassword, slowLink, startSeededEmulator } from '@org/auth/testing';
import { parseConfig } from '@org/config';
import { deviceConfigSchema } from '../src/config.ts';
import { createDevice } from '../src/device.ts';
import { listen } from '../src/server.ts';
import { orderLabTest } from '../test/harness.ts';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '100' },
    batch: { type: 'string', default: '20' },
    'link-latency-ms': { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});
const orders = Number(values.orders);
const batch = Number(values.batch);
const linkLatencyMs = Number(values['link-latency-ms']);
const say = (line = '') => {
  if (!values.json) process.stdout.write(`${line}\n`);
};

// Medplum's deliveries go to a sink that accepts everything, so the bench measures uploads only.
const sink = await listen(() => new Response('ok'), 0);
const sinkUrl = new URL('webhooks/medplum', sink.url).toString();

interface Row {
  mode: string;
  results: number;
  resources: number;
  transactions: number;
  ms: number;
}

/** Each mode gets a fresh emulator with the same seed and the same orders, so neither runs on the other's data. */
async function measure(mode: string, maxBatch: number): Promise<Row> {
  const dataDir = mkdtempSync(join(tmpdir(), 'device-bench-'));
  const { emulator, options } = await startSeededEmulator(
    { device: { webhook: { url: sinkUrl } } },
    { dataFile: join(dataDir, 'emulator.jsonl') }
  );
  const practitioner = await signInWithPassword(emulator.url, { clientId: options.web.clientId, ...options.devUser });
  const work: ServiceRequest[] = [];
  // A CBC for the seed's patient from the seed's analyzer, as the web app orders it.
  for (let i = 0; i < orders; i++) work.push(await orderLabTest({ practitioner }));
  await emulator.idle();

  const link = linkLatencyMs > 0 ? await slowLink(emulator.url, linkLatencyMs) : undefined;
  const config = parseConfig(deviceConfigSchema, {
    MEDPLUM_BASE_URL: link?.url ?? emulator.url,
    DEVICE_DATA_DIR: join(dataDir, 'device'),
  });
  const device = await createDevice({
    config,
    maxBatch,
    lingerMs: 0,
    catchUp: false,
    log: values.verbose
      ? (a, m) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${a} ${m}\n`)
      : undefined,
  });
  await device.client.ready(); // the token is not part of the measurement
  const started = performance.now();
  for (const order of work) device.receiveOrder(order, { via: 'file' });
  await device.uploader.whenEmpty();
  const ms = performance.now() - started;
  const { stats } = device.status();
  await device.stop();
  await link?.close();
  await emulator.stop();
  rmSync(dataDir, { recursive: true, force: true });
  return {
    mode,
    results: stats.resultsSent,
    resources: stats.resourcesCreated + stats.resourcesAlreadyThere,
    transactions: stats.transactions,
    ms,
  };
}

say(`Measuring ${orders} CBC results one by one, then batched (up to ${batch} per transaction)...`);
const rows = [await measure('one-by-one', 1), await measure(`batched (up to ${batch})`, batch)];
await sink.close();

const [single, batched] = rows as [Row, Row];
const perSecond = (count: number, ms: number) => (count / (ms / 1000)).toFixed(1);
const ratio = single.ms / batched.ms;
if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ bench: 'device-upload-throughput', orders, batch, linkLatencyMs, rows, batchedVsOneByOne: Number(ratio.toFixed(2)) })}\n`
  );
} else {
  say();
  say(
    `Device upload throughput: ${orders} results (1 DiagnosticReport + 4 Observations each), emulator in-process${linkLatencyMs ? `, reached over a link of ${linkLatencyMs} ms each way` : ''}`
  );
  say('Each result written and fsync-ed to the outbox first, then sent as conditional creates in transactions.');
  say();
  const header = ['mode', 'transactions', 'time', 'results/s', 'resources/s'];
  const lines = rows.map((r) => [
    r.mode,
    String(r.transactions),
    `${(r.ms / 1000).toFixed(2)} s`,
    perSecond(r.results, r.ms),
    perSecond(r.resources, r.ms),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  for (const line of [header, ...lines]) say(line.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '));
  say();
  say(`batched vs one-by-one: ${ratio.toFixed(2)}x the throughput`);
  say('(Batching saves round trips and per-request work; over a real network the round trips dominate. Compare runs');
  say(' on the same machine, not across machines.)');
}

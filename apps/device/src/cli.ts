#!/usr/bin/env node
/**
 * `device run | send <file> | status`: the lab-analyzer simulator. Start with `node src/cli.ts run` (no build step).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Bundle, ServiceRequest } from '@medplum/fhirtypes';
import { DeviceKeyError, retireDeviceKey, rotateDeviceKey } from '@org/auth/device';
import { exitOnStartError, stopOnSignal } from '@org/runtime';
import { createApp, JWKS_PATH, WEBHOOK_PATH } from './app.ts';
import type { DeviceConfig } from './config.ts';
import { createDevice, type StatusSnapshot } from './device.ts';
import { loadDeviceConfig } from './env.ts';
import { deviceLog, inTime, plural } from './log.ts';
import { readOutbox } from './outbox.ts';
import { listen } from './server.ts';

const USAGE = `Usage: device <command>

  run            receive lab orders by webhook, run them, post results (Ctrl-C to stop)
  send <file>    run the ServiceRequest(s) in a JSON file (a ServiceRequest, an array, or a Bundle) and post the results
  status         what is waiting in the outbox, what failed, and the running device's live status
  rotate-key [--data-dir DIR] [--retire]
                 private-key-jwt: a new signing key (new kid) while the old one stays published; --retire then
                 drops the old one from the JWKS. The device keeps running; the private key never leaves DIR

Configuration comes from the environment / .env (DEVICE_*, MEDPLUM_BASE_URL); see apps/device/README.md.`;

const write = (line = '') => process.stdout.write(`${line}\n`);
const log = deviceLog();

async function run(): Promise<void> {
  const { config, authMethodSource } = loadDeviceConfig();
  const device = await createDevice({ config, authMethodSource, log });
  const server = await listen(createApp(device).fetch, config.DEVICE_WEBHOOK_PORT, config.DEVICE_LISTEN_HOST);
  log('device', `lab analyzer listening on ${server.url}`);
  log('device', `  webhook inbox  POST ${new URL(WEBHOOK_PATH, server.url)} (Basic + X-Signature required)`);
  log('device', `  status page    ${server.url}`);
  if (device.client.keys) log('device', `  JWKS           ${new URL(JWKS_PATH, server.url)}`);
  log('device', `  data           ${resolve(config.DEVICE_DATA_DIR)}`);
  stopOnSignal(async () => {
    log('device', 'stopping: results not yet confirmed stay in the outbox and are sent on the next start');
    await server.close();
    await device.stop();
  });
  await device.start();
}

function ordersFrom(file: string): ServiceRequest[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  const list: unknown[] = Array.isArray(parsed)
    ? parsed
    : (parsed as Bundle)?.resourceType === 'Bundle'
      ? ((parsed as Bundle).entry ?? []).map((entry) => entry.resource)
      : [parsed];
  return list.filter((item): item is ServiceRequest => (item as ServiceRequest)?.resourceType === 'ServiceRequest');
}

async function send(file: string | undefined): Promise<number> {
  if (!file) {
    write(USAGE);
    return 2;
  }
  const orders = ordersFrom(file);
  if (orders.length === 0) {
    write(`${file} holds no ServiceRequest.`);
    return 1;
  }
  const { config, authMethodSource } = loadDeviceConfig();
  // Only the orders in the file (the catch-up of missed webhook orders is `device run`'s job).
  const device = await createDevice({ config, authMethodSource, log, catchUp: false });
  // Medplum fetches the public key while it checks our assertion, so the JWKS must be reachable meanwhile.
  const server = device.client.keys
    ? await listen(createApp(device).fetch, config.DEVICE_WEBHOOK_PORT, config.DEVICE_LISTEN_HOST)
    : undefined;
  const finish = async () => {
    await server?.close();
    await device.stop();
  };
  stopOnSignal(async () => {
    log(
      'device',
      `interrupted: ${plural(device.outbox.counts().pending, 'result')} stay in the outbox for the next run`
    );
    await finish();
  });
  // Started first: it reads the published lab catalogue, which says what the analyzer can run.
  await device.start();
  for (const order of orders) device.receiveOrder(order, { via: 'file' });
  await device.uploader.whenEmpty();
  const { stats, outbox } = device.status();
  await finish();
  write(
    `sent ${plural(stats.resultsSent, 'result')} in ${plural(stats.transactions, 'transaction')}, ${stats.retries} retried, ${outbox.failed} failed`
  );
  return outbox.failed > 0 ? 1 : 0;
}

async function fetchLive(config: DeviceConfig): Promise<StatusSnapshot | undefined> {
  try {
    const response = await fetch(`http://localhost:${config.DEVICE_WEBHOOK_PORT}/status.json`, {
      signal: AbortSignal.timeout(1500),
    });
    return response.ok ? ((await response.json()) as StatusSnapshot) : undefined;
  } catch {
    return undefined;
  }
}

async function status(): Promise<number> {
  const { config } = loadDeviceConfig();
  const dir = resolve(config.DEVICE_DATA_DIR);
  const disk = readOutbox(dir);
  const live = await fetchLive(config);
  write(`Outbox ${dir}`);
  write(`  waiting  ${disk.counts.pending}`);
  write(`  sent     ${disk.counts.sent} (confirmed by Medplum)`);
  write(`  failed   ${disk.counts.failed}${disk.counts.failed ? ' (refused by Medplum; not retried)' : ''}`);
  for (const item of disk.pending) {
    write(
      `  - waiting ${item.order}: ${item.summary}${item.attempts ? ` [${item.attempts} attempt(s): ${item.lastError}]` : ''}`
    );
  }
  for (const item of disk.failed) write(`  - FAILED  ${item.order}: ${item.reason}`);
  write();
  if (!live) {
    write(`Device: not running (nothing answers on port ${config.DEVICE_WEBHOOK_PORT}). Start it with \`device run\`.`);
    return 0;
  }
  const { device, stats, uploader } = live;
  const expires = device.tokenExpiresAt ? Date.parse(device.tokenExpiresAt) : undefined;
  write(`Device: running since ${stats.startedAt}, talking to ${device.medplum}`);
  write(
    `  auth           ${device.authMethod} (${device.authSource === 'default' ? 'default' : 'DEVICE_AUTH_METHOD'})`
  );
  write(`                 ${device.authReason}`);
  write(
    `  token          ${expires ? `expires ${device.tokenExpiresAt} (in ${inTime(expires - Date.now())})` : device.authMethod === 'basic' ? 'none (Basic credentials on every request)' : 'none yet'}`
  );
  write(
    `  orders         ${stats.ordersReceived} received, ${stats.redeliveries} redeliveries recognised, ${stats.ordersIgnored} ignored`
  );
  write(`  webhooks       ${stats.webhooksRefused} refused`);
  write(
    `  results        ${stats.resultsSent} sent in ${stats.transactions} transaction(s), ${live.outbox.pending} queued, ${stats.retries} retried, ${live.outbox.failed} failed`
  );
  if (uploader.retryAt) write(`  next retry     ${uploader.retryAt}`);
  if (stats.lastError) write(`  last error     ${stats.lastError.at} ${stats.lastError.message}`);
  return 0;
}

/**
 * Run on the device's machine by its operator: no Medplum admin credentials, because nothing changes in Medplum (it
 * reads the keys from the device's JWKS) and the private key never leaves the data folder.
 */
async function rotateKey(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' }, retire: { type: 'boolean' } } });
  const dir = values['data-dir'] ? resolve(values['data-dir']) : loadDeviceConfig().config.DEVICE_DATA_DIR;
  const again = `pnpm device:rotate-key${values['data-dir'] ? ` --data-dir ${dir}` : ''}`;
  try {
    if (values.retire) {
      const { key, retiredKid } = await retireDeviceKey(dir);
      write(`retired key ${retiredKid}: the JWKS now publishes only ${key.kid}; assertions signed with the old key`);
      write('are refused from now on.');
      return 0;
    }
    const { key, previousKid } = await rotateDeviceKey(dir);
    write(`new signing key ${key.kid} in ${key.file} (mode 0600); a running device signs with it from its next`);
    write(`token request, no restart. The previous key ${previousKid} stays in the JWKS until \`${again} --retire\`.`);
    return 0;
  } catch (error) {
    if (!(error instanceof DeviceKeyError)) throw error;
    process.stderr.write(`rotate-key: ${error.message}\n`);
    return 1;
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      await run();
      return -1; // keeps running
    case 'send':
      return send(rest[0]);
    case 'status':
      return status();
    case 'rotate-key':
      return rotateKey(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      write(`Unknown command ${JSON.stringify(command)}.\n`);
      write(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  // Expected failures (a busy port, a locked outbox, bad configuration) are Errors with a message for a person.
  (error: unknown) => exitOnStartError('device', error, (e) => e instanceof Error)
);

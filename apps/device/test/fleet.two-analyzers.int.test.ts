import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { MedplumClient } from '@medplum/core';
import type { DiagnosticReport, Observation, ServiceRequest } from '@medplum/fhirtypes';
import {
  DEV_ADMIN,
  type DeviceCredentials,
  deviceEndpoints,
  enrollDevice,
  projectAdminEntries,
  rotateDeviceSecret,
  SEED_IDS,
} from '@org/auth/provisioning';
import { type SeededEmulator, signInAsClient, signInWithPassword, startSeededEmulator } from '@org/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishCatalogTo } from './catalog.ts';
import { tempDir } from './config.ts';

// End to end, real processes: two analyzers enrolled as fleet devices (`device:enroll`), each a `device run` process
// with its own credentials, data folder, webhook port and Subscription. No cross-talk; then a secret rotation while
// orders keep coming, with nothing lost or duplicated.
const cli = join(import.meta.dirname, '..', 'src', 'cli.ts');

interface Analyzer {
  name: string;
  port: number;
  dataDir: string;
  credentials: DeviceCredentials;
  process?: ChildProcess;
  output: string;
}

let seeded: SeededEmulator;
let admin: MedplumClient;
let practitioner: MedplumClient;
const analyzers: Analyzer[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function start(analyzer: Analyzer): Promise<void> {
  const { credentials } = analyzer;
  const child = spawn(process.execPath, [cli, 'run'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      MEDPLUM_BASE_URL: seeded.emulator.url,
      DEVICE_AUTH_METHOD: 'client-credentials',
      DEVICE_MEDPLUM_CLIENT_ID: credentials.clientId,
      DEVICE_MEDPLUM_CLIENT_SECRET: credentials.clientSecret ?? '',
      DEVICE_WEBHOOK_PORT: String(analyzer.port),
      DEVICE_WEBHOOK_USERNAME: credentials.webhook?.username ?? '',
      DEVICE_WEBHOOK_PASSWORD: credentials.webhook?.password ?? '',
      DEVICE_WEBHOOK_SECRET: credentials.webhook?.secret ?? '',
      DEVICE_DATA_DIR: analyzer.dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk) => (analyzer.output += chunk));
  analyzer.process = child;
  await eventually(async () => (await fetch(`http://localhost:${analyzer.port}/healthz`)).ok, 30_000);
}

async function stop(analyzer: Analyzer): Promise<void> {
  const child = analyzer.process;
  if (!child || child.exitCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not within ${timeoutMs} ms`);
}

function order(analyzer: Analyzer, code = '58410-2'): Promise<ServiceRequest & { id: string }> {
  return practitioner.createResource<ServiceRequest>({
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${SEED_IDS.patientMaria}` },
    performer: [{ reference: `Device/${analyzer.credentials.deviceId}` }],
  }) as Promise<ServiceRequest & { id: string }>;
}

async function results(orderId: string) {
  const basedOn = `ServiceRequest/${orderId}`;
  const reports = (await practitioner.searchResources(
    'DiagnosticReport',
    { 'based-on': basedOn },
    { cache: 'no-cache' }
  )) as DiagnosticReport[];
  const observations = (await practitioner.searchResources(
    'Observation',
    { 'based-on': basedOn },
    { cache: 'no-cache' }
  )) as Observation[];
  return { reports, observations };
}

async function allReported(orders: { id: string }[]): Promise<void> {
  await eventually(async () => {
    for (const o of orders) if ((await results(o.id)).reports.length === 0) return false;
    return true;
  }, 60_000);
}

beforeAll(async () => {
  seeded = await startSeededEmulator(
    {},
    {
      changeSeed: (seed) => ({
        ...seed,
        entry: [...(seed.entry ?? []), ...projectAdminEntries(SEED_IDS.project, DEV_ADMIN)],
      }),
    }
  );
  admin = await signInAsClient(seeded.emulator.url, { clientId: DEV_ADMIN.clientId, clientSecret: DEV_ADMIN.secret });
  await publishCatalogTo(await signInAsClient(seeded.emulator.url, seeded.clients.pipeline));
  const { web, devUser } = seeded.options;
  practitioner = await signInWithPassword(seeded.emulator.url, { clientId: web.clientId, ...devUser });
  for (const name of ['fleet-a', 'fleet-b']) {
    const port = await freePort();
    const { webhookUrl } = deviceEndpoints(`http://localhost:${port}/`);
    const credentials = await enrollDevice(admin, { name, auth: 'client-credentials', webhookUrl });
    const analyzer: Analyzer = { name, port, dataDir: tempDir(`${name}-`), credentials, output: '' };
    analyzers.push(analyzer);
    await start(analyzer);
  }
});

afterAll(async () => {
  await Promise.all(analyzers.map(stop));
  await seeded?.emulator.stop();
});

describe('two enrolled analyzers side by side', () => {
  it('each receives only its own orders and writes results only as itself', async () => {
    const [a, b] = analyzers as [Analyzer, Analyzer];
    const ordersA = [await order(a), await order(a, '2345-7'), await order(a)];
    const ordersB = [await order(b), await order(b, '4548-4')];
    await allReported([...ordersA, ...ordersB]);
    for (const [analyzer, mine, theirs] of [
      [a, ordersA, ordersB],
      [b, ordersB, ordersA],
    ] as const) {
      for (const o of mine) {
        const { reports, observations } = await results(o.id);
        expect(reports).toHaveLength(1);
        for (const resource of [...reports, ...observations]) {
          expect(resource.meta?.author?.reference).toBe(`ClientApplication/${analyzer.credentials.clientId}`);
        }
        for (const observation of observations) {
          expect(observation.device?.reference).toBe(`Device/${analyzer.credentials.deviceId}`);
        }
      }
      // Its log names every order of its own and none of the other analyzer's: no cross-talk.
      for (const o of mine) expect(analyzer.output).toContain(`ServiceRequest/${o.id}`);
      for (const o of theirs) expect(analyzer.output).not.toContain(o.id);
    }
  });

  it('keeps uploading through a secret rotation: nothing lost, nothing duplicated', async () => {
    const a = analyzers[0] as Analyzer;
    const placed: { id: string }[] = [];
    let placing = true;
    const load = (async () => {
      while (placing) {
        placed.push(await order(a));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await eventually(async () => placed.length >= 5, 30_000);
    // Step 1: a new secret; the running process still holds a token from the old one, and the old one still works.
    const rotated = await rotateDeviceSecret(admin, a.credentials.clientId, { retire: false });
    expect(rotated?.clientSecret).toBeDefined();
    await eventually(async () => placed.length >= 10, 30_000);
    // The analyzer picks the new secret up (a restart with the new file); its outbox keeps what it had not sent.
    await stop(a);
    a.credentials = { ...a.credentials, ...(rotated?.clientSecret ? { clientSecret: rotated.clientSecret } : {}) };
    await start(a);
    // Step 2: the old secret ends; the analyzer is on the new one.
    await rotateDeviceSecret(admin, a.credentials.clientId, { retire: true });
    await eventually(async () => placed.length >= 15, 30_000);
    placing = false;
    await load;
    await allReported(placed);
    for (const o of placed) {
      const { reports, observations } = await results(o.id);
      expect([o.id, reports.length, observations.length]).toEqual([o.id, 1, 4]);
    }
  });
});

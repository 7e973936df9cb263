import type { MedplumClient } from '@medplum/core';
import { type DeviceCredentials, deviceEndpoints, enrollDevice, rotateDeviceSecret } from '@org/auth/provisioning';
import type { SeededEmulator } from '@org/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './config.ts';
import {
  type DeviceProcess,
  eventually,
  freePort,
  orderFor,
  allReported as reportedTo,
  resultsOf,
  startDeviceProcess,
  startFleetWorld,
} from './fleet-processes.ts';

// End to end, real processes: two analyzers enrolled as fleet devices (`device:enroll`), each a `device run` process
// with its own credentials, data folder, webhook port and Subscription. No cross-talk; then a secret rotation while
// orders keep coming, with nothing lost or duplicated.

interface Analyzer {
  name: string;
  port: number;
  dataDir: string;
  credentials: DeviceCredentials;
  process?: DeviceProcess;
}

let seeded: SeededEmulator;
let admin: MedplumClient;
let practitioner: MedplumClient;
const analyzers: Analyzer[] = [];

async function start(analyzer: Analyzer): Promise<void> {
  const { credentials } = analyzer;
  analyzer.process = await startDeviceProcess(
    {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      MEDPLUM_BASE_URL: seeded.emulator.url,
      DEVICE_AUTH_METHOD: 'client-credentials',
      DEVICE_MEDPLUM_CLIENT_ID: credentials.clientId,
      DEVICE_MEDPLUM_CLIENT_SECRET: credentials.clientSecret ?? '',
      DEVICE_WEBHOOK_USERNAME: credentials.webhook?.username ?? '',
      DEVICE_WEBHOOK_PASSWORD: credentials.webhook?.password ?? '',
      DEVICE_WEBHOOK_SECRET: credentials.webhook?.secret ?? '',
      DEVICE_DATA_DIR: analyzer.dataDir,
    },
    analyzer.port
  );
}

const stop = async (analyzer: Analyzer) => analyzer.process?.stop();
const order = (analyzer: Analyzer, code?: string) => orderFor(practitioner, analyzer.credentials.deviceId, code);
const results = (orderId: string) => resultsOf(practitioner, orderId);
const allReported = (orders: { id: string }[]) => reportedTo(practitioner, orders);

beforeAll(async () => {
  ({ seeded, admin, practitioner } = await startFleetWorld());
  for (const name of ['fleet-a', 'fleet-b']) {
    const port = await freePort();
    const { webhookUrl } = deviceEndpoints(`http://localhost:${port}/`);
    const credentials = await enrollDevice(admin, { name, auth: 'client-credentials', webhookUrl });
    const analyzer: Analyzer = { name, port, dataDir: tempDir(`${name}-`), credentials };
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
      for (const o of mine) expect(analyzer.process?.output()).toContain(`ServiceRequest/${o.id}`);
      for (const o of theirs) expect(analyzer.process?.output()).not.toContain(o.id);
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

import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './config.ts';
import { dataFileIn, orderLabTest, resultsFor, settle, startWorld, type World } from './harness.ts';

/**
 * Outages of Medplum and of the device itself lose nothing and duplicate nothing. No timing is asserted: the tests
 * wait for events (webhooks delivered, retries counted, outbox empty) with back-off delays of a few milliseconds.
 */
const worlds: World[] = [];
afterEach(async () => {
  for (const world of worlds.splice(0)) await world.close();
});

/** Holds the device's transaction uploads until opened (or makes them fail). */
function uploadGate() {
  let open = false;
  let waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const isUpload = (init?: RequestInit) =>
    init?.method === 'POST' && typeof init.body === 'string' && init.body.includes('"type":"transaction"');
  return {
    isUpload,
    wait: (init?: RequestInit) =>
      open || !isUpload(init)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => waiting.push({ resolve, reject })),
    open() {
      open = true;
      for (const w of waiting.splice(0)) w.resolve();
    },
    fail() {
      for (const w of waiting.splice(0)) w.reject(new TypeError('fetch failed'));
      waiting = [];
    },
  };
}

/** Polls (no deadline of its own: the test timeout is the only limit, and nothing asserts on time). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise<void>((resolve) => setTimeout(resolve, 2));
}

async function expectExactlyOnce(world: World, orderIds: string[]): Promise<void> {
  for (const id of orderIds) {
    const { reports, observations } = await resultsFor(world, id);
    expect(reports, `reports for ${id}`).toHaveLength(1);
    expect(observations, `observations for ${id}`).toHaveLength(4);
  }
}

describe('durable outbox', () => {
  it('keeps results while Medplum is down and delivers each exactly once after it restarts on the same data', async () => {
    const gate = uploadGate();
    const world = await startWorld({
      dataFile: dataFileIn(tempDir('emulator-data-')),
      device: {
        fetch: async (input, init) => {
          await gate.wait(init);
          return fetch(input, init);
        },
      },
    });
    worlds.push(world);
    const orders = await Promise.all([
      orderLabTest(world),
      orderLabTest(world),
      orderLabTest(world, { code: '2345-7' }),
    ]);
    await world.emulator.idle(); // every order delivered and queued on disk; uploads held at the gate
    expect(world.device.outbox.counts()).toMatchObject({ pending: 3, sent: 0 });

    await world.stopEmulator();
    gate.open(); // the held upload now meets a closed port
    await until(() => world.device.status().stats.retries >= 3);
    expect(world.device.outbox.counts()).toMatchObject({ pending: 3, sent: 0, failed: 0 });

    await world.startEmulatorAgain();
    await world.device.uploader.whenEmpty();
    const { stats, outbox } = world.device.status();
    expect(outbox).toEqual({ pending: 0, sent: 3, failed: 0 });
    expect(stats.failed).toBe(0);
    // Glucose is a single analyte; the CBC panels have four.
    const glucose = orders.pop();
    await expectExactlyOnce(
      world,
      orders.map((o) => o.id)
    );
    const single = await resultsFor(world, glucose?.id ?? '');
    expect([single.reports.length, single.observations.length]).toEqual([1, 1]);
  });

  it('sends again after a lost confirmation and a device restart, and Medplum still holds each result once', async () => {
    const gate = uploadGate();
    let uploads = 0;
    const world = await startWorld({
      device: {
        fetch: async (input, init) => {
          if (!gate.isUpload(init)) return fetch(input, init);
          uploads++;
          if (uploads === 1) {
            await fetch(input, init); // Medplum commits the transaction...
            throw new TypeError('fetch failed'); // ...but the answer never reaches the device
          }
          await gate.wait(init); // and the device dies before its retry
          return fetch(input, init);
        },
      },
    });
    worlds.push(world);
    const orders = [await orderLabTest(world), await orderLabTest(world)];
    await world.emulator.idle();
    await until(() => uploads >= 2);
    expect(world.device.outbox.counts()).toMatchObject({ pending: 2, sent: 0 });

    // A new process on the same data folder, with a healthy network this time.
    const device = await world.restartDevice({ fetch: (input, init) => fetch(input, init) });
    gate.fail();
    expect(device.outbox.counts()).toMatchObject({ pending: 2 });
    await device.uploader.whenEmpty();
    const { stats } = device.status();
    expect(stats.resultsSent).toBe(2);
    // What the lost transaction had already created is found again (If-None-Exist), not created twice.
    expect(stats.resourcesAlreadyThere).toBeGreaterThanOrEqual(5);
    expect(stats.resourcesCreated + stats.resourcesAlreadyThere).toBe(10);
    await expectExactlyOnce(
      world,
      orders.map((o) => o.id)
    );
  });

  it('runs, after a restart, the orders Medplum gave up delivering while the device was down', async () => {
    const world = await startWorld();
    worlds.push(world);
    await world.stopDevice();
    const order = await orderLabTest(world);
    await world.emulator.idle(); // every delivery attempt failed; the emulator gave up
    const before = await resultsFor(world, order.id);
    expect([before.reports.length, before.observations.length]).toEqual([0, 0]);

    const device = await world.restartDevice();
    await device.uploader.whenEmpty();
    expect(device.status().stats).toMatchObject({ ordersReceived: 1, resultsSent: 1 });
    await expectExactlyOnce(world, [order.id]);
    // A second restart finds nothing new to run.
    expect(await (await world.restartDevice()).catchUp()).toBe(0);
  });

  it('retries 503 and 429 answers (even without a FHIR body) instead of setting results aside', async () => {
    let refusals = 0;
    const world = await startWorld({
      device: {
        fetch: async (input, init) => {
          const upload =
            init?.method === 'POST' && typeof init.body === 'string' && init.body.includes('"transaction"');
          if (upload && refusals < 2) {
            refusals++;
            return refusals === 1
              ? new Response('<html>Service Unavailable</html>', {
                  status: 503,
                  headers: { 'Content-Type': 'text/html' },
                })
              : new Response(
                  JSON.stringify({
                    resourceType: 'OperationOutcome',
                    id: 'too-many-requests',
                    issue: [{ severity: 'error', code: 'throttled' }],
                  }),
                  { status: 429, headers: { 'Content-Type': 'application/fhir+json' } }
                );
          }
          return fetch(input, init);
        },
      },
    });
    worlds.push(world);
    const order = await orderLabTest(world);
    await settle(world);
    expect(world.device.status().stats).toMatchObject({ retries: 2, resultsSent: 1, failed: 0 });
    await expectExactlyOnce(world, [order.id]);
  });
});

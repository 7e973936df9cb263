import { afterEach, describe, expect, it } from 'vitest';
import { ANALYZER, orderLabTest, resultsFor, settle, startWorld, type World } from './harness.ts';

/** For each credential method: the device obtains access and the results of a real order arrive in Medplum. */
const worlds: World[] = [];
afterEach(async () => {
  for (const world of worlds.splice(0)) await world.close();
});

describe.each(['client-credentials', 'basic', 'private-key-jwt'] as const)('auth method %s', (method) => {
  it('obtains access and posts the results of a webhook-delivered order', async () => {
    const world = await startWorld({ authMethod: method });
    worlds.push(world);
    const { device } = world;
    expect(device.client.method).toBe(method);
    if (method === 'basic') expect(device.client.tokenExpiresAt()).toBeUndefined();
    else expect(device.client.tokenExpiresAt()).toBeGreaterThan(Date.now());
    expect(device.client.keys !== undefined).toBe(method === 'private-key-jwt');

    const order = await orderLabTest(world);
    await settle(world);
    const { reports, observations } = await resultsFor(world, order.id);
    expect(reports).toHaveLength(1);
    expect(observations).toHaveLength(4);
    const report = reports[0];
    expect(report?.subject?.reference).toBe(order.subject?.reference);
    expect(report?.meta?.author?.reference).toBe(`ClientApplication/${world.config.DEVICE_MEDPLUM_CLIENT_ID}`);
    expect(report?.result?.map((r) => r.reference).sort()).toEqual(
      observations.map((o) => `Observation/${o.id}`).sort()
    );
    for (const observation of observations) {
      expect(observation.device?.reference).toBe(`Device/${ANALYZER}`);
      expect(observation.basedOn?.[0]?.reference).toBe(`ServiceRequest/${order.id}`);
    }
    expect(device.status().stats).toMatchObject({ ordersReceived: 1, resultsSent: 1, failed: 0 });
  });
});

import type { ServiceRequest } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_PATH } from '../src/app.ts';
import { delivery } from './delivery.ts';
import { ANALYZER, OTHER_DEVICE, orderLabTest, resultsFor, settle, startWorld, type World } from './harness.ts';

/**
 * The device's real webhook port: a delivery with wrong Basic credentials, a changed body or a bad signature gets 401
 * and produces no result in Medplum; the same delivery, genuine, does (so the refusals are not an accident of setup).
 */
let world: World;
let order: ServiceRequest & { id: string };

beforeAll(async () => {
  world = await startWorld();
  // An order for our analyzer that Medplum never delivered: created for another device (criteria do not match),
  // then updated (the Subscription only fires on create). The test plays Medplum with it.
  const created = await orderLabTest(world, { device: OTHER_DEVICE });
  order = (await world.practitioner.updateResource({
    ...created,
    performer: [{ reference: `Device/${ANALYZER}` }],
  })) as ServiceRequest & { id: string };
  await settle(world);
});
afterAll(async () => {
  await world?.close();
});

const post = (init: RequestInit) => fetch(new URL(WEBHOOK_PATH, world.listener.url), init);

describe('webhook inbox on the device port', () => {
  it.each([
    ['wrong Basic credentials', { password: 'guessed-webhook-password' }],
    ['a changed body', { body: (body: string) => body.replace(`Device/${ANALYZER}`, `Device/${ANALYZER} `) }],
    ['a bad signature', { signature: 'f'.repeat(64) }],
    ['no signature', { signature: null }],
  ] as const)('refuses a delivery with %s (401) and makes no result', async (_name, tamper) => {
    const response = await post(delivery(world.config, order, tamper));
    expect(response.status).toBe(401);
    expect(world.device.outbox.hasOrder(`ServiceRequest/${order.id}`)).toBe(false);
    await world.device.uploader.idle();
    const { reports, observations } = await resultsFor(world, order.id);
    expect(reports).toHaveLength(0);
    expect(observations).toHaveLength(0);
  });

  it('runs nothing for a correctly signed delivery of an order Medplum does not hold (a leaked webhook secret)', async () => {
    const forged = { ...order, id: '5a1e0f2b-6c2d-4e8f-9a3b-000000000001', code: { text: 'forged' } };
    const response = await post(delivery(world.config, forged));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ outcome: 'ignored' });
    await world.device.uploader.idle();
    expect((await resultsFor(world, forged.id)).reports).toHaveLength(0);
  });

  it('runs the genuine delivery once; its redelivery is recognised', async () => {
    const genuine = delivery(world.config, order);
    expect((await post(genuine)).status).toBe(200);
    expect(await (await post(genuine)).json()).toEqual({ duplicate: true });
    await world.device.uploader.whenEmpty();
    const { reports, observations } = await resultsFor(world, order.id);
    expect(reports).toHaveLength(1);
    expect(observations).toHaveLength(4);
    expect(world.device.status().stats).toMatchObject({ ordersReceived: 1, webhooksRefused: 4 });
  });
});

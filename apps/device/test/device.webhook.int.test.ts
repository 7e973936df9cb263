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
  // A freshness window other than the library's default (10 min), so the test below proves the device's own setting
  // reaches the verifier.
  world = await startWorld({ device: { webhookMaxAgeMs: 5 * 60_000 } });
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

describe('limits of the webhook inbox, as the device wires them', () => {
  const ONE_MIB = 1024 * 1024;
  const forgedId = '5a1e0f2b-6c2d-4e8f-9a3b-000000000002';
  const aged = (ms: number) => ({
    ...order,
    id: forgedId,
    meta: { versionId: '1', lastUpdated: new Date(Date.now() - ms).toISOString() },
  });

  it('refuses a signed delivery older than its freshness window (401 stale); one just inside it is read', async () => {
    const window = world.device.webhookMaxAgeMs;
    expect(window).toBe(5 * 60_000);
    const stale = await post(delivery(world.config, aged(window + 60_000)));
    expect(stale.status).toBe(401);
    expect(await stale.json()).toEqual({ error: 'stale' });
    // Inside the window the delivery is verified and the order read back (Medplum does not hold this one: ignored).
    const fresh = await post(delivery(world.config, aged(window - 60_000)));
    expect(fresh.status).toBe(200);
    expect(await fresh.json()).toMatchObject({ outcome: 'ignored' });
  });

  it('refuses a body whose Content-Length is over 1 MiB with 413', async () => {
    const padded = { ...order, id: forgedId, note: [{ text: 'x'.repeat(ONE_MIB) }] };
    const response = await post(delivery(world.config, padded));
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'too-large' });
  });

  it('stops reading a chunked body (no Content-Length) at the limit: 256 MiB offered, memory stays flat', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const offered = 256 * ONE_MIB;
    let produced = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (produced >= offered) return controller.close();
          produced += chunk.byteLength;
          controller.enqueue(chunk);
        },
      },
      { highWaterMark: 0 }
    );
    const { headers } = delivery(world.config, order);
    const rssBefore = process.memoryUsage().rss;
    const response = await post({ method: 'POST', headers, body, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(413);
    body.cancel().catch(() => undefined);
    // What the client managed to push before the refusal: the limit plus what the sockets buffer, nowhere near 256 MiB.
    expect(produced).toBeLessThan(32 * ONE_MIB);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * ONE_MIB);
  });
});

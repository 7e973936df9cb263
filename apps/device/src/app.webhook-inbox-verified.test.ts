import { notFound, OperationOutcomeError } from '@medplum/core';
import type { ServiceRequest } from '@medplum/fhirtypes';
import { afterEach, describe, expect, it } from 'vitest';
import { publishedCatalog } from '../test/catalog.ts';
import { testConfig } from '../test/config.ts';
import { delivery, labOrder } from '../test/delivery.ts';
import { createApp, JWKS_PATH, WEBHOOK_PATH } from './app.ts';
import { createDevice, type Device } from './device.ts';
import type { SendTransaction } from './uploader.ts';

/**
 * The inbox in-process (app.request, no socket, no Medplum): only a verified delivery is run and queued, a
 * redelivery is recognised, and every refusal leaves the outbox untouched. The same properties are checked against
 * the emulator's real deliveries in test/device.webhook.int.test.ts.
 */
const devices: Device[] = [];
afterEach(async () => {
  for (const device of devices.splice(0)) await device.stop();
});

/** What "Medplum" holds: orders are read back from here before they are run. */
let stored: Map<string, ServiceRequest>;
let medplumDown: boolean;
/** Every id the device asked "Medplum" for. */
let reads: string[];

async function setup(send: SendTransaction = async () => ({ ok: true, created: 2, existing: 0 })) {
  stored = new Map();
  medplumDown = false;
  reads = [];
  const config = testConfig({ MEDPLUM_BASE_URL: 'http://127.0.0.1:9/' });
  const readOrder = async (id: string) => {
    reads.push(id);
    if (medplumDown) throw new TypeError('fetch failed');
    const order = stored.get(id);
    if (!order) throw new OperationOutcomeError(notFound);
    return order;
  };
  const device = await createDevice({ config, send, lingerMs: 0, readOrder, catalog: publishedCatalog() });
  devices.push(device);
  // In-process requests have no socket: the peer address comes from a test header (loopback unless a test says not).
  const app = createApp(device, { peerAddress: (c) => c.req.header('x-test-peer') ?? '127.0.0.1' });
  return { config, device, app };
}

/** An order Medplum holds (and would deliver). */
function storedOrder(id: string, overrides: Partial<ServiceRequest> = {}): ServiceRequest {
  const order = labOrder(id, overrides);
  stored.set(id, order);
  return order;
}

describe('webhook inbox', () => {
  it('runs a verified order once and queues its results durably', async () => {
    const { config, device, app } = await setup(async () => new Promise(() => {})); // Medplum never answers
    const response = await app.request(WEBHOOK_PATH, delivery(config, storedOrder('sr-1')));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ outcome: 'queued', order: 'ServiceRequest/sr-1' });
    expect(device.outbox.pending().map((p) => p.order)).toEqual(['ServiceRequest/sr-1']);
  });

  it('recognises a redelivery (same delivery, or the same order again) and does not run it twice', async () => {
    const { config, device, app } = await setup(async () => new Promise(() => {}));
    const order = storedOrder('sr-2');
    await app.request(WEBHOOK_PATH, delivery(config, order));
    const again = await app.request(WEBHOOK_PATH, delivery(config, order));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ duplicate: true });
    const newVersion = await app.request(
      WEBHOOK_PATH,
      delivery(config, { ...order, meta: { versionId: '2', lastUpdated: new Date().toISOString() } })
    );
    expect(await newVersion.json()).toEqual({ outcome: 'duplicate', order: 'ServiceRequest/sr-2' });
    expect(device.outbox.pending()).toHaveLength(1);
    expect(device.status().stats.ordersReceived).toBe(1);
  });

  it.each([
    ['wrong Basic password', { password: 'not-the-webhook-password' }],
    ['missing signature', { signature: null }],
    ['bad signature', { signature: 'a'.repeat(64) }],
    ['changed body', { body: (body: string) => body.replace('2345-7', '4548-4') }],
  ] as const)('answers 401 to a delivery with a %s and changes nothing', async (_name, tamper) => {
    const { config, device, app } = await setup();
    const response = await app.request(WEBHOOK_PATH, delivery(config, storedOrder('sr-3'), tamper));
    expect(response.status).toBe(401);
    expect(device.outbox.counts()).toEqual({ pending: 0, sent: 0, failed: 0 });
    expect(device.outbox.hasOrder('ServiceRequest/sr-3')).toBe(false);
    expect(device.status().stats).toMatchObject({ ordersReceived: 0, webhooksRefused: 1 });
  });

  it('answers 401 without any credentials', async () => {
    const { app, device } = await setup();
    const response = await app.request(WEBHOOK_PATH, { method: 'POST', body: JSON.stringify(labOrder('sr-4')) });
    expect(response.status).toBe(401);
    expect(device.outbox.counts().pending).toBe(0);
  });

  it('ignores (200, nothing queued) a verified delivery that is not a runnable order', async () => {
    const { config, device, app } = await setup();
    const response = await app.request(
      WEBHOOK_PATH,
      delivery(config, storedOrder('sr-5', { subject: { reference: 'Group/g' } }))
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ outcome: 'ignored' });
    expect(device.outbox.counts().pending).toBe(0);
  });

  it('sends queued results and shows them on the status page', async () => {
    const { config, device, app } = await setup();
    await app.request(WEBHOOK_PATH, delivery(config, storedOrder('sr-6')));
    await device.uploader.whenEmpty();
    const page = await app.request('/');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Results sent');
    expect(html).toContain('client-credentials');
    const json = (await (await app.request('/status.json')).json()) as { stats: { resultsSent: number } };
    expect(json.stats.resultsSent).toBe(1);
  });

  it('keeps the status page and status.json to this machine, even when the port is open to the network', async () => {
    const { app } = await setup();
    for (const peer of ['203.0.113.5', '192.168.1.7', '::ffff:10.0.0.3', 'fe80::1']) {
      for (const path of ['/', '/status.json']) {
        const response = await app.request(path, { headers: { 'x-test-peer': peer } });
        expect(response.status, `${path} from ${peer}`).toBe(404);
      }
    }
    for (const peer of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect((await app.request('/status.json', { headers: { 'x-test-peer': peer } })).status, peer).toBe(200);
    }
    // Medplum's deliveries and the JWKS stay reachable from anywhere; health checks too.
    expect((await app.request('/healthz', { headers: { 'x-test-peer': '203.0.113.5' } })).status).toBe(200);
  });

  it('names no patient and no clinical conclusion in its logs, status page or status.json', async () => {
    const { config, device, app } = await setup();
    const order = storedOrder('sr-9', { subject: { reference: 'Patient/patient-with-a-name' } });
    await app.request(WEBHOOK_PATH, delivery(config, order));
    await device.uploader.whenEmpty();
    const shown = [
      await (await app.request('/')).text(),
      await (await app.request('/status.json')).text(),
      JSON.stringify(device.status().recent),
    ].join('\n');
    expect(shown).toContain('ServiceRequest/sr-9');
    expect(shown).not.toContain('patient-with-a-name');
    expect(shown).not.toMatch(/reference range|abnormal/i);
  });

  it.each(['../Patient/p-1', 'sr-1/_history/1', 'sr-1?_format=xml', 'x'.repeat(65), ''])(
    'never puts an id that is not a FHIR id (%j) into a FHIR path',
    async (id) => {
      const { config, device, app } = await setup();
      const order = labOrder(id);
      // Past the webhook verifier (which refuses such a body with 400 itself), the device checks again.
      expect(await device.receiveDelivery(order, 'key-1')).toMatchObject({ outcome: 'ignored' });
      expect(device.receiveOrder(order, { via: 'file' })).toMatchObject({ outcome: 'ignored' });
      expect(reads).toEqual([]);
      const response = await app.request(WEBHOOK_PATH, delivery(config, order));
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'invalid-body' });
      expect(device.outbox.counts().pending).toBe(0);
    }
  );

  it('runs the copy Medplum holds, not the delivered body', async () => {
    const { config, device, app } = await setup(async () => new Promise(() => {}));
    const delivered = storedOrder('sr-7');
    stored.set('sr-7', { ...delivered, code: { coding: [{ system: 'http://loinc.org', code: '58410-2' }] } });
    const response = await app.request(WEBHOOK_PATH, delivery(config, delivered));
    // The held copy is a CBC (58410-2); the delivered body asked for glucose.
    expect(await response.json()).toMatchObject({
      outcome: 'queued',
      order: 'ServiceRequest/sr-7',
      summary: 'CBC panel - Blood by Automated count: 4 observation(s)',
    });
    expect(device.outbox.pending()[0]?.bundle.entry).toHaveLength(5);
  });

  it('ignores a verified delivery of an order Medplum does not hold for this device (a leaked webhook secret)', async () => {
    const { config, device, app } = await setup();
    const forged = labOrder('sr-forged');
    const response = await app.request(WEBHOOK_PATH, delivery(config, forged));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ outcome: 'ignored' });
    expect(device.outbox.counts().pending).toBe(0);
  });

  it('answers 503 when the order cannot be checked, and runs it when Medplum delivers it again', async () => {
    const { config, device, app } = await setup(async () => new Promise(() => {}));
    const order = storedOrder('sr-8');
    medplumDown = true;
    const first = await app.request(WEBHOOK_PATH, delivery(config, order));
    expect(first.status).toBe(503);
    expect(device.outbox.counts().pending).toBe(0);
    medplumDown = false;
    const retry = await app.request(WEBHOOK_PATH, delivery(config, order));
    expect(await retry.json()).toMatchObject({ outcome: 'queued' });
  });

  it('publishes no JWKS unless it signs client assertions', async () => {
    const { app } = await setup();
    expect((await app.request(JWKS_PATH)).status).toBe(404);
  });

  it('publishes the public key (and only it) with private-key-jwt', async () => {
    const config = testConfig({ MEDPLUM_BASE_URL: 'http://127.0.0.1:9/', DEVICE_AUTH_METHOD: 'private-key-jwt' });
    const device = await createDevice({ config, send: async () => ({ ok: true, created: 0, existing: 0 }) });
    devices.push(device);
    const response = await createApp(device).request(JWKS_PATH);
    expect(response.status).toBe(200);
    const jwks = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ use: 'sig', kid: expect.any(String), alg: expect.any(String) });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });
});

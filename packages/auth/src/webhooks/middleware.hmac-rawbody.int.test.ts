import type { ServiceRequest } from '@medplum/fhirtypes';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../ids.ts';
import { clientCredentials } from '../server/credentials.ts';
import { createServiceClient } from '../server/service-client.ts';
import { startSeededEmulator } from '../testing/emulator.ts';
import { serveFetch } from '../testing/http-server.ts';
import { createMemoryDeliveryLedger } from './ledger.ts';
import { type RestHookEnv, restHookVerifier } from './middleware.ts';
import { signRestHookBody } from './verify.ts';

// Integration: the emulator delivers the lab-order subscription to a real HTTP server guarded by restHookVerifier;
// the captured delivery is then replayed with one thing changed at a time.
let env: Awaited<ReturnType<typeof startSeededEmulator>>;
let inbox: Awaited<ReturnType<typeof serveFetch>>;
const handled: string[] = [];
const rejected: string[] = [];
let captured: { body: string; headers: Record<string, string> } | undefined;

beforeAll(async () => {
  const app = new Hono<RestHookEnv>();
  // Capture what Medplum sends before verification, to replay it later.
  app.use('/webhooks/medplum', async (c, next) => {
    if (!captured) captured = { body: await c.req.raw.clone().text(), headers: Object.fromEntries(c.req.raw.headers) };
    await next();
  });
  app.post(
    '/webhooks/medplum',
    restHookVerifier({
      basic: { username: 'medplum-webhook', password: 'dev-only-webhook-password' },
      secret: 'dev-only-webhook-hmac-secret-not-for-production',
      ledger: createMemoryDeliveryLedger(),
      onRejected: (reason) => rejected.push(reason),
    }),
    (c) => {
      handled.push(c.get('restHook').resource?.id ?? '-');
      return c.json({ ok: true });
    }
  );
  inbox = await serveFetch(app.fetch);
  env = await startSeededEmulator({ device: { webhook: { url: `${inbox.url}/webhooks/medplum` } } });
});
afterAll(async () => {
  await env?.emulator.stop();
  await inbox?.close();
});

async function post(body: string, headers: Record<string, string>) {
  const { 'content-length': _length, host: _host, connection: _connection, ...rest } = headers;
  return fetch(`${inbox.url}/webhooks/medplum`, { method: 'POST', body, headers: rest });
}

describe('rest-hook verification against real deliveries', () => {
  let order: ServiceRequest;

  it("accepts the emulator's signed delivery of a new lab order", async () => {
    const proxy = createServiceClient({
      baseUrl: env.emulator.url,
      credentials: clientCredentials({
        clientId: env.clients.proxy.clientId,
        clientSecret: env.clients.proxy.clientSecret,
      }),
    });
    order = await proxy
      .onBehalfOf(`ProjectMembership/${SEED_IDS.practitionerMembership}`)
      .createResource<ServiceRequest>({
        resourceType: 'ServiceRequest',
        status: 'active',
        intent: 'order',
        subject: { reference: `Patient/${SEED_IDS.patientMaria}` },
        code: { text: 'Lipid panel' },
        performer: [{ reference: `Device/${SEED_IDS.analyzerDevice}` }],
      });
    await env.emulator.idle();
    expect(handled).toEqual([order.id]);
    expect(rejected).toEqual([]);
    // Medplum's HMAC-SHA256 of the exact bytes it sent, with the Subscription's secret.
    const secret = env.options.device.webhook.secret;
    expect(captured?.headers['x-signature']).toBe(signRestHookBody(captured?.body ?? '', secret));
  });

  it('recognises a redelivery and does not run it twice', async () => {
    if (!captured) throw new Error('no delivery captured');
    const res = await post(captured.body, captured.headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ duplicate: true });
    expect(handled).toEqual([order.id]);
  });

  it.each([
    [
      'a changed body',
      (b: string, h: Record<string, string>) => [b.replace('Lipid panel', 'Lipid panel!'), h] as const,
      'bad-signature',
    ],
    [
      'a wrong signature',
      (b: string, h: Record<string, string>) => [b, { ...h, 'x-signature': '0'.repeat(64) }] as const,
      'bad-signature',
    ],
    [
      'a missing signature',
      (b: string, h: Record<string, string>) => {
        const { 'x-signature': _s, ...rest } = h;
        return [b, rest] as const;
      },
      'missing-signature',
    ],
    [
      'wrong Basic credentials',
      (b: string, h: Record<string, string>) =>
        [
          b,
          { ...h, authorization: `Basic ${Buffer.from('medplum-webhook:guess-guess-guess').toString('base64')}` },
        ] as const,
      'bad-credentials',
    ],
  ])('refuses %s with 401 and runs nothing', async (_label, change, reason) => {
    if (!captured) throw new Error('no delivery captured');
    const before = handled.length;
    const [body, headers] = change(captured.body, captured.headers);
    const res = await post(body, headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: reason });
    expect(handled).toHaveLength(before);
    expect(rejected.at(-1)).toBe(reason);
  });
});

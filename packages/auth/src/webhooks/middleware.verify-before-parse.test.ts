import { Hono } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { restHookHeaders } from '../testing/rest-hook.ts';
import { createMemoryDeliveryLedger } from './ledger.ts';
import { type RestHookEnv, restHookVerifier } from './middleware.ts';
import { signRestHookBody } from './verify.ts';

const secret = 'test-webhook-secret-0123456789abcdef';
const basic = { username: 'medplum-webhook', password: 'test-webhook-password' };
const authorization = `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`;

function body(versionId = 'v1'): string {
  return JSON.stringify({
    resourceType: 'ServiceRequest',
    id: 'sr-1',
    meta: { versionId, lastUpdated: new Date().toISOString() },
  });
}

function request(raw: string, overrides: Record<string, string> = {}) {
  return { method: 'POST', body: raw, headers: { ...restHookHeaders(raw, { ...basic, secret }), ...overrides } };
}

function app(handler: (resourceId: string | undefined) => Response | Promise<Response>, withLedger = false) {
  const rejected: string[] = [];
  const ledger = withLedger ? createMemoryDeliveryLedger() : undefined;
  const hono = new Hono<RestHookEnv>();
  hono.onError((_error, c) => c.text('error', 500));
  hono.post(
    '/webhooks/medplum',
    restHookVerifier({ basic, secret, ledger, onRejected: (reason) => rejected.push(reason) }),
    async (c) => handler(c.get('restHook').resource?.id)
  );
  return { hono, rejected };
}

describe('restHookVerifier middleware', () => {
  it('hands the verified resource to the handler', async () => {
    const handler = vi.fn(() => new Response('ok'));
    const { hono } = app(handler);
    const res = await hono.request('/webhooks/medplum', request(body()));
    expect(res.status).toBe(200);
    expect(handler).toHaveBeenCalledWith('sr-1');
  });

  it.each([
    ['changed body', () => ({ ...request(body()), body: body().replace('sr-1', 'sr-2') }), 'bad-signature'],
    [
      'wrong signature',
      () => request(body(), { 'X-Signature': signRestHookBody(body(), 'x'.repeat(32)) }),
      'bad-signature',
    ],
    ['missing signature', () => request(body(), { 'X-Signature': '' }), 'missing-signature'],
    [
      'wrong Basic credentials',
      () => request(body(), { Authorization: `Basic ${Buffer.from('medplum-webhook:nope').toString('base64')}` }),
      'bad-credentials',
    ],
    ['missing Basic credentials', () => request(body(), { Authorization: '' }), 'missing-credentials'],
  ])('answers 401 to a %s and never runs the handler', async (_label, make, reason) => {
    const handler = vi.fn(() => new Response('ok'));
    const { hono, rejected } = app(handler);
    const res = await hono.request('/webhooks/medplum', make());
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: reason });
    expect(res.headers.get('WWW-Authenticate')).toContain('Basic');
    expect(handler).not.toHaveBeenCalled();
    expect(rejected).toEqual([reason]);
  });

  it('answers 400 to a verified body that is not JSON, without running the handler', async () => {
    const handler = vi.fn(() => new Response('ok'));
    const { hono } = app(handler);
    const res = await hono.request('/webhooks/medplum', request('not json'));
    expect(res.status).toBe(400);
    expect(handler).not.toHaveBeenCalled();
  });

  it('runs a redelivery of a handled delivery only once', async () => {
    const handler = vi.fn(() => new Response('ok'));
    const { hono } = app(handler, true);
    const raw = body();
    expect((await hono.request('/webhooks/medplum', request(raw))).status).toBe(200);
    const again = await hono.request('/webhooks/medplum', request(raw));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ duplicate: true });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('runs a new version of the same resource again', async () => {
    const handler = vi.fn(() => new Response('ok'));
    const { hono } = app(handler, true);
    await hono.request('/webhooks/medplum', request(body('v1')));
    await hono.request('/webhooks/medplum', request(body('v2')));
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('runs a redelivery again when the first attempt failed', async () => {
    let fail = true;
    const handler = vi.fn(() => (fail ? new Response('busy', { status: 503 }) : new Response('ok')));
    const { hono } = app(handler, true);
    const raw = body();
    expect((await hono.request('/webhooks/medplum', request(raw))).status).toBe(503);
    fail = false;
    expect((await hono.request('/webhooks/medplum', request(raw))).status).toBe(200);
    expect((await hono.request('/webhooks/medplum', request(raw))).status).toBe(200);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('runs a redelivery again when the first attempt threw', async () => {
    let fail = true;
    const handler = vi.fn(() => {
      if (fail) throw new Error('boom');
      return new Response('ok');
    });
    const { hono } = app(handler, true);
    const raw = body();
    expect((await hono.request('/webhooks/medplum', request(raw))).status).toBe(500);
    fail = false;
    expect((await hono.request('/webhooks/medplum', request(raw))).status).toBe(200);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('answers 409 to a redelivery that arrives while the first is still running', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler = vi.fn(async () => {
      await gate;
      return new Response('ok');
    });
    const { hono } = app(handler, true);
    const raw = body();
    const first = hono.request('/webhooks/medplum', request(raw));
    await vi.waitFor(() => expect(handler).toHaveBeenCalledTimes(1));
    const second = await hono.request('/webhooks/medplum', request(raw));
    expect(second.status).toBe(409);
    release();
    expect((await first).status).toBe(200);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('refuses a body over the size limit with 413 before verifying it', async () => {
    const handler = vi.fn(() => new Response('ok'));
    const hono = new Hono<RestHookEnv>();
    hono.post('/w', restHookVerifier({ basic, secret, maxBodyBytes: 64 }), () => handler());
    const res = await hono.request('/w', request(body()));
    expect(res.status).toBe(413);
    expect(handler).not.toHaveBeenCalled();
  });

  describe('the body is read last, and never past the limit', () => {
    /** A request body that is produced only as it is read, and counts what was read. */
    function lazyBody(totalBytes: number, chunkBytes = 1024) {
      let produced = 0;
      const stream = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            if (produced >= totalBytes) return controller.close();
            produced += chunkBytes;
            controller.enqueue(new Uint8Array(chunkBytes).fill(0x20));
          },
        },
        { highWaterMark: 0 }
      );
      return { stream, produced: () => produced };
    }

    function post(hono: Hono<RestHookEnv>, stream: ReadableStream<Uint8Array>, headers: Record<string, string>) {
      return hono.request('/w', { method: 'POST', body: stream, headers, duplex: 'half' } as RequestInit);
    }

    function limited() {
      const handler = vi.fn(() => new Response('ok'));
      const hono = new Hono<RestHookEnv>();
      hono.post('/w', restHookVerifier({ basic, secret, maxBodyBytes: 64 * 1024 }), () => handler());
      return { hono, handler };
    }

    it('refuses wrong Basic credentials before reading a byte of the body', async () => {
      const { hono, handler } = limited();
      const body = lazyBody(10 * 1024 * 1024);
      const wrong = `Basic ${Buffer.from(`${basic.username}:guess`).toString('base64')}`;
      const res = await post(hono, body.stream, { Authorization: wrong });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'bad-credentials' });
      expect(body.produced()).toBe(0);
      expect(handler).not.toHaveBeenCalled();
    });

    it('refuses a declared Content-Length over the limit before reading a byte', async () => {
      const { hono, handler } = limited();
      const body = lazyBody(10 * 1024 * 1024);
      const res = await post(hono, body.stream, {
        Authorization: authorization,
        'Content-Length': String(10 * 1024 * 1024),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ error: 'too-large' });
      expect(body.produced()).toBe(0);
      expect(handler).not.toHaveBeenCalled();
    });

    it('stops reading a streamed body (no Content-Length) as soon as it passes the limit', async () => {
      const { hono, handler } = limited();
      const body = lazyBody(10 * 1024 * 1024);
      const res = await post(hono, body.stream, { Authorization: authorization });
      expect(res.status).toBe(413);
      // The limit plus the chunk that crossed it: not the ten mebibytes on offer.
      expect(body.produced()).toBe(64 * 1024 + 1024);
      expect(handler).not.toHaveBeenCalled();
    });
  });

  it('refuses to be built without credentials or a secret', () => {
    expect(() => restHookVerifier({})).toThrow();
  });
});

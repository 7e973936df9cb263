import { describe, expect, it } from 'vitest';
import { apiHeaders, noteBody, PASSWORD, signIn } from '../../test/helpers.ts';
import { unitApp } from '../../test/unit-app.ts';

describe('per-session rate limit', () => {
  it('answers 429 with Retry-After once a session is over its limit; other sessions are unaffected', async () => {
    const { app, medplum } = unitApp({ settings: { rateLimitPerSession: 5 } });
    const busy = await signIn(app, 'clinician');
    const calm = await signIn(app, 'reception');
    const statuses = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(busy) })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(busy) });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(medplum.fhirRequests()).toHaveLength(5);
    expect((await app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(calm) })).status).toBe(200);
  });
});

describe('per-session rate limit on pages', () => {
  it('answers 429 with Retry-After for pages too, before any call to Medplum; other sessions are unaffected', async () => {
    const { app, medplum } = unitApp({ settings: { rateLimitPerSession: 3 } });
    const busy = await signIn(app, 'clinician');
    const calm = await signIn(app, 'reception');
    const page = (cookie: string) => app.request('/patients/pat-1', { headers: { Cookie: cookie } });
    const allowed = [];
    for (let i = 0; i < 3; i++) allowed.push((await page(busy)).status);
    expect(allowed).toEqual([200, 200, 200]);
    const medplumCalls = medplum.fhirRequests().length;
    const limited = await page(busy);
    expect(limited.status).toBe(429);
    expect(await limited.text()).toBe('Too many requests');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await page(busy)).status).toBe(429);
    // Refused before the page asks Medplum anything.
    expect(medplum.fhirRequests()).toHaveLength(medplumCalls);
    expect((await page(calm)).status).toBe(200);
  });
});

describe('request body size limit', () => {
  it('answers 413 for a body over the limit, without calling Medplum', async () => {
    const { app, medplum } = unitApp({ settings: { maxBodyBytes: 1024 } });
    const cookie = await signIn(app);
    const before = medplum.requests.length;
    const response = await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      body: noteBody('pat-1', 'x'.repeat(5000)),
    });
    expect(response.status).toBe(413);
    expect(medplum.requests.length).toBe(before);
  });

  it.each([
    ['sign-in', '/api/session'],
    ['a note', '/api/fhir/Communication'],
  ])('stops reading a chunked %s body (no Content-Length) once it passes the limit', async (_what, path) => {
    const { app, medplum } = unitApp({ settings: { maxBodyBytes: 1024 } });
    const cookie = await signIn(app);
    const before = medplum.requests.length;
    let produced = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (produced >= 10 * 1024 * 1024) return controller.close();
          produced += 256;
          controller.enqueue(new Uint8Array(256).fill(0x20));
        },
      },
      { highWaterMark: 0 }
    );
    const response = await app.request(path, {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'payload_too_large' });
    expect(produced).toBe(1024 + 256);
    expect(medplum.requests.length).toBe(before);
  });
});

describe('security headers', () => {
  it('are on pages, API answers and errors', async () => {
    const { app } = unitApp();
    for (const response of [
      await app.request('/login'),
      await app.request('/api/fhir/Patient', { headers: apiHeaders() }),
      await app.request('/nowhere'),
    ]) {
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});

describe('structured logs', () => {
  it('one JSON entry per request with its request id; no tokens, cookies, passwords or query strings', async () => {
    const { app, logs, medplum } = unitApp();
    const cookie = await signIn(app);
    const response = await app.request('/api/fhir/Patient?name=Garcia', { headers: apiHeaders(cookie) });
    await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      body: noteBody('pat-1', 'a private note'),
    });
    await app.request('/api/fhir/Practitioner', { headers: apiHeaders(cookie) });

    const requestId = response.headers.get('x-request-id');
    const entry = logs.entries.find((e) => e.requestId === requestId);
    expect(entry).toMatchObject({
      msg: 'request',
      method: 'GET',
      path: '/api/fhir/Patient',
      status: 200,
      user: 'clinician',
      upstream: 200,
    });
    expect(logs.entries.find((e) => e.path === '/api/fhir/Practitioner')).toMatchObject({
      status: 404,
      reason: 'not-allowlisted',
    });

    const text = JSON.stringify(logs.entries);
    const secrets = [
      cookie.split('=')[1] ?? '',
      PASSWORD,
      'Garcia',
      'a private note',
      ...medplum.requests.map((r) => r.headers.get('authorization')?.replace(/^Bearer /, '') ?? '').filter(Boolean),
      'dev-only-proxy-client-secret-not-for-production',
    ];
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});

describe('health', () => {
  it('/healthz is always 200; /readyz is 200 once a token can be obtained', async () => {
    const { app, medplum } = unitApp();
    expect((await app.request('/healthz')).status).toBe(200);
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect(medplum.tokenRequests()).toHaveLength(1);
    await app.request('/readyz');
    expect(medplum.tokenRequests()).toHaveLength(1);
  });

  it('/readyz is 503 when no token can be obtained (wrong secret)', async () => {
    const { app } = unitApp({ env: { PROXY_MEDPLUM_CLIENT_SECRET: 'not-the-right-secret-at-all' } });
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable' });
  });
});

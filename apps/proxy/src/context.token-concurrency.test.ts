import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiHeaders, signIn } from '../test/helpers.ts';
import { unitApp } from '../test/unit-app.ts';

const LONG_SESSIONS = {
  sessionIdleMs: 24 * 3_600_000,
  sessionAbsoluteMs: 24 * 3_600_000,
  rateLimitPerSession: 100_000,
};

afterEach(() => {
  vi.useRealTimers();
});

describe('one long-lived service identity: token requests counted at the HTTP layer (fake Medplum)', () => {
  it('500 proxied requests use one token request', async () => {
    const { app, medplum } = unitApp({ settings: LONG_SESSIONS });
    const cookie = await signIn(app);
    for (let i = 0; i < 500; i++) {
      const response = await app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(cookie) });
      expect(response.status).toBe(200);
    }
    expect(medplum.fhirRequests()).toHaveLength(500);
    expect(medplum.tokenRequests()).toHaveLength(1);
  });

  it('200 concurrent requests at token expiry cause exactly one token request', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = new Date('2026-06-01T08:00:00Z').getTime();
    vi.setSystemTime(start);
    const { app, medplum } = unitApp({ settings: LONG_SESSIONS });
    const cookie = await signIn(app);
    expect((await app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(cookie) })).status).toBe(200);
    expect(medplum.tokenRequests()).toHaveLength(1);

    // The token (1 h) is now inside its refresh window.
    vi.setSystemTime(start + 3_600_000 - 10_000);
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(cookie) }))
    );
    expect(responses.map((response) => response.status)).toEqual(Array(200).fill(200));
    expect(medplum.tokenRequests()).toHaveLength(2);
  });

  it('a revoked token gets one new token and one retry; the user never sees the 401', async () => {
    const { app, medplum } = unitApp({ settings: LONG_SESSIONS });
    const cookie = await signIn(app);
    expect((await app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(cookie) })).status).toBe(200);
    medplum.revokeAll();
    const response = await app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(cookie) });
    expect(response.status).toBe(200);
    expect(medplum.tokenRequests()).toHaveLength(2);
  });

  it('the session cookie never reaches Medplum, and no token reaches the browser', async () => {
    const { app, medplum } = unitApp();
    const cookie = await signIn(app);
    const response = await app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(cookie) });
    const text = await response.text();
    const tokens = medplum.requests
      .map((request) => request.headers.get('authorization')?.replace(/^Bearer /, ''))
      .filter((token): token is string => Boolean(token));
    // The sign-in's membership lookup and the read: two calls, one token.
    expect(tokens).toHaveLength(2);
    expect(new Set(tokens).size).toBe(1);
    for (const token of tokens) {
      expect(text).not.toContain(token);
      for (const value of response.headers.values()) expect(value).not.toContain(token);
    }
    for (const request of medplum.requests) {
      expect(request.headers.get('cookie')).toBeNull();
      expect(request.body ?? '').not.toContain(cookie.split('=')[1]);
    }
  });
});

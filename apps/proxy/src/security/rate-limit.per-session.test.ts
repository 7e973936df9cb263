import { describe, expect, it } from 'vitest';
import { apiHeaders, signIn } from '../../test/helpers.ts';
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

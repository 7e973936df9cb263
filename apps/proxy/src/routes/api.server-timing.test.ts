import { describe, expect, it } from 'vitest';
import { apiHeaders, signIn } from '../../test/helpers.ts';
import { PATIENT, unitApp } from '../../test/unit-app.ts';

/** `Server-Timing` on proxied calls: where a request's time went (session look-up, Medplum), nothing else. */
const METRIC = /^(session|upstream|total);dur=\d+(\.\d+)?(;desc="[^"]*")?$/;

describe('Server-Timing', () => {
  it('names the session look-up, the call to Medplum and the total on a proxied call', async () => {
    const { app } = unitApp();
    const cookie = await signIn(app);
    const response = await app.request(`/api/fhir/Patient/${PATIENT.id}`, { headers: apiHeaders(cookie) });
    expect(response.status).toBe(200);
    const metrics = (response.headers.get('Server-Timing') ?? '').split(',').map((metric) => metric.trim());
    expect(metrics.map((metric) => metric.split(';')[0])).toEqual(['session', 'upstream', 'total']);
    for (const metric of metrics) expect(metric).toMatch(METRIC);
  });

  it('is left off everything that is not a proxied call (pages, sign-in, /me)', async () => {
    const { app } = unitApp();
    const cookie = await signIn(app);
    for (const path of ['/api/me', '/', '/healthz']) {
      const response = await app.request(path, { headers: apiHeaders(cookie) });
      expect(response.headers.get('Server-Timing'), path).toBeNull();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { noteBody, ORIGIN, PASSWORD, PUBLIC_SITE_ENV, signIn } from '../../test/helpers.ts';
import { unitApp } from '../../test/unit-app.ts';

describe('CSRF: X-CSRF header and Origin on the API', () => {
  it('refuses a state-changing request without the X-CSRF header (403), before anything reaches Medplum', async () => {
    const { app, medplum } = unitApp();
    const cookie = await signIn(app);
    const before = medplum.requests.length;
    const response = await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: { Cookie: cookie, Origin: ORIGIN, 'Content-Type': 'application/json' },
      body: noteBody('pat-1', 'hello'),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: 'forbidden', reason: 'csrf-header' });
    expect(medplum.requests.length).toBe(before);
  });

  it('refuses a foreign Origin (403)', async () => {
    const { app, medplum } = unitApp();
    const cookie = await signIn(app);
    const before = medplum.requests.length;
    const response = await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: { Cookie: cookie, 'X-CSRF': '1', Origin: 'https://evil.example', 'Content-Type': 'application/json' },
      body: noteBody('pat-1', 'hello'),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: 'forbidden', reason: 'csrf-origin' });
    expect(medplum.requests.length).toBe(before);
  });

  it('refuses a state-changing request with no Origin at all (403)', async () => {
    const { app } = unitApp();
    const cookie = await signIn(app);
    const response = await app.request('/api/session', {
      method: 'DELETE',
      headers: { Cookie: cookie, 'X-CSRF': '1' },
    });
    expect(response.status).toBe(403);
  });

  it('protects sign-in too (login CSRF): header and Origin required', async () => {
    const { app } = unitApp();
    const body = JSON.stringify({ username: 'clinician', password: PASSWORD });
    const headers = { 'Content-Type': 'application/json' };
    const noHeader = await app.request('/api/session', {
      method: 'POST',
      headers: { ...headers, Origin: ORIGIN },
      body,
    });
    const foreign = await app.request('/api/session', {
      method: 'POST',
      headers: { ...headers, 'X-CSRF': '1', Origin: 'http://localhost:3000' },
      body,
    });
    expect([noHeader.status, foreign.status]).toEqual([403, 403]);
    expect(noHeader.headers.get('set-cookie')).toBeNull();
  });

  it('requires the header on API reads too, and refuses a read from a foreign Origin', async () => {
    const { app } = unitApp();
    const cookie = await signIn(app);
    const noHeader = await app.request('/api/fhir/Patient', { headers: { Cookie: cookie } });
    const foreign = await app.request('/api/fhir/Patient', {
      headers: { Cookie: cookie, 'X-CSRF': '1', Origin: 'https://evil.example' },
    });
    const ok = await app.request('/api/fhir/Patient', { headers: { Cookie: cookie, 'X-CSRF': '1' } });
    expect([noHeader.status, foreign.status, ok.status]).toEqual([403, 403, 200]);
  });

  it('takes the allowed origin from PROXY_PUBLIC_URL', async () => {
    const { app } = unitApp({ env: PUBLIC_SITE_ENV, medplumClientSecret: PUBLIC_SITE_ENV.PROXY_MEDPLUM_CLIENT_SECRET });
    const body = JSON.stringify({ username: 'clinician', password: PASSWORD });
    const response = await app.request('/api/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF': '1', Origin: 'https://clinic.example' },
      body,
    });
    expect(response.status).toBe(200);
  });
});

import { describe, expect, it } from 'vitest';
import { apiHeaders, noteBody, PASSWORD, signIn } from '../../test/helpers.ts';
import { unitApp } from '../../test/unit-app.ts';

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

import { describe, expect, it } from 'vitest';
import { apiHeaders, PASSWORD, TEST_USERS } from '../../test/helpers.ts';
import { unitApp } from '../../test/unit-app.ts';

const KEYED = TEST_USERS.map((user) => ({ ...user, medplum: { ...user.medplum, provisioningKey: 'membership/x' } }));

describe('membership lookup at sign-in', () => {
  it('asks Medplum for the tagged membership as the service identity, and keeps the configured one when none is found', async () => {
    const { app, medplum } = unitApp({ users: KEYED });
    const response = await app.request('/api/session', {
      method: 'POST',
      headers: apiHeaders(undefined, { 'Content-Type': 'application/json' }),
      body: JSON.stringify({ username: 'clinician', password: PASSWORD }),
    });
    expect(response.status).toBe(200);
    const lookup = medplum.fhirRequests().at(-1);
    expect(lookup?.url.pathname).toBe('/fhir/R4/ProjectMembership');
    expect(lookup?.url.searchParams.get('_tag')).toBe('https://reference.org.example/fhir/provisioning|membership/x');
    expect(lookup?.headers.get('x-medplum-on-behalf-of')).toBeNull();
    const cookie = response.headers.get('set-cookie')?.split(';')[0] ?? '';
    await app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(cookie) });
    expect(medplum.fhirRequests().at(-1)?.headers.get('x-medplum-on-behalf-of')).toBe('ProjectMembership/m-clin');
  });

  it('answers 503 (and sets no cookie) when Medplum cannot be asked', async () => {
    const { app } = unitApp({ users: KEYED, fetch: () => Promise.reject(new TypeError('fetch failed')) });
    const response = await app.request('/api/session', {
      method: 'POST',
      headers: apiHeaders(undefined, { 'Content-Type': 'application/json' }),
      body: JSON.stringify({ username: 'clinician', password: PASSWORD }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('set-cookie')).toBeNull();
  });
});

import { forbidden } from '@medplum/core';
import type { Communication } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { apiHeaders, noteBody, PASSWORD, signIn, TEST_USERS } from '../../test/helpers.ts';
import { unitApp } from '../../test/unit-app.ts';

describe('on behalf of the signed-in user (fake Medplum)', () => {
  it('a write carries X-Medplum-On-Behalf-Of: the user’s membership; Medplum’s answer comes back as it is', async () => {
    const { app, medplum } = unitApp();
    const cookie = await signIn(app, 'clinician');
    const response = await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      body: noteBody('pat-1', 'Follow-up in two weeks'),
    });
    expect(response.status).toBe(201);
    const created = (await response.json()) as Communication;
    // What Medplum stored (with the meta it stamps; against the real server: test/emulator/app.medplum.int.test.ts).
    expect(created).toEqual(medplum.store.get(`Communication/${created.id}`));
    expect(created.sender?.reference).toBe('Practitioner/p-clin');
    const upstream = medplum.fhirRequests().at(-1);
    expect(upstream?.method).toBe('POST');
    expect(upstream?.headers.get('x-medplum-on-behalf-of')).toBe('ProjectMembership/m-clin');
    expect(JSON.parse(upstream?.body ?? '{}').meta).toBeUndefined();
  });

  it('a user whose policy forbids a resource is refused (403), although the service identity could read it', async () => {
    const { app, medplum } = unitApp();
    const cookie = await signIn(app, 'reception');
    const list = await app.request('/api/fhir/Patient', { headers: apiHeaders(cookie) });
    expect(list.status).toBe(200);
    const labs = await app.request('/api/fhir/Observation?subject=Patient/pat-1', { headers: apiHeaders(cookie) });
    expect(labs.status).toBe(403);
    expect(await labs.json()).toEqual(forbidden);
    const note = await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      body: noteBody('pat-1', 'should not be saved'),
    });
    expect(note.status).toBe(403);
    expect(medplum.fhirRequests().at(-1)?.headers.get('x-medplum-on-behalf-of')).toBe('ProjectMembership/m-recep');
  });

  it('concurrent users never get each other’s on-behalf-of (answers follow each user’s policy)', async () => {
    const { app, medplum } = unitApp({ settings: { rateLimitPerSession: 10_000 } });
    const clinician = await signIn(app, 'clinician');
    const reception = await signIn(app, 'reception');
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        app.request('/api/fhir/Observation?subject=Patient/pat-1', {
          headers: apiHeaders(i % 2 === 0 ? clinician : reception),
        })
      )
    );
    expect(responses.map((response) => response.status)).toEqual(
      Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 200 : 403))
    );
    const members = medplum.fhirRequests().map((request) => request.headers.get('x-medplum-on-behalf-of'));
    expect(members.filter((m) => m === 'ProjectMembership/m-clin')).toHaveLength(50);
    expect(members.filter((m) => m === 'ProjectMembership/m-recep')).toHaveLength(50);
  });
});

describe('a refused on-behalf-of, as each Medplum release answers it', () => {
  // A legacy user whose Medplum membership is gone (deleted, or moved to another project): Medplum will not act as it.
  const users = [
    ...TEST_USERS,
    {
      username: 'departed',
      password: PASSWORD,
      displayName: 'Former staff',
      role: 'Clinician',
      medplum: { membership: 'ProjectMembership/m-gone', profile: 'Practitioner/p-gone', profileDisplay: 'Gone' },
    },
  ];

  it.each([
    ['current servers: 400 "Authentication error"', 'current', 400],
    ['earlier releases: 403 forbidden', 'legacy', 403],
  ] as const)(
    '%s → 403 to the browser, and the page says Medplum would not act for the user',
    async (_, shape, upstream) => {
      const { app, logs } = unitApp({ users, onBehalfOfRefusal: shape });
      const cookie = await signIn(app, 'departed');
      const api = await app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(cookie) });
      expect(api.status).toBe(403);
      // Medplum's refusal, its diagnostics left out (only the status changes: a refusal, never the user's bad request).
      const current = {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'invalid', details: { text: 'Authentication error' } }],
      };
      expect(await api.json()).toEqual(shape === 'current' ? current : forbidden);
      expect(
        logs.entries.find((entry) => entry.msg === 'request' && entry.path === '/api/fhir/Patient/pat-1')
      ).toMatchObject({
        status: 403,
        upstream,
      });
      const page = await (await app.request('/patients/pat-1', { headers: { Cookie: cookie } })).text();
      expect(page).toContain(shape === 'current' ? 'data-refusal="on-behalf-of"' : 'data-refusal="forbidden"');
      expect(page).not.toContain('data-status="400"');
    }
  );
});

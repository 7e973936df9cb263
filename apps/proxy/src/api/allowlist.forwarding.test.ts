import { describe, expect, it } from 'vitest';
import { apiHeaders, noteBody, signIn } from '../../test/helpers.ts';
import { MEDPLUM_ONLY_HEADERS, unitApp } from '../../test/unit-app.ts';
import { API_ALLOWLIST, InputError, matchAllowlist, noteFromInput } from './allowlist.ts';

describe('proxy allowlist: method + path, nothing else forwarded', () => {
  it.each([
    ['GET', '/api/fhir/Practitioner'],
    ['GET', '/api/fhir/ProjectMembership'],
    ['GET', '/api/fhir/ClientApplication/abc'],
    ['DELETE', '/api/fhir/Patient/pat-1'],
    ['PUT', '/api/fhir/Patient/pat-1'],
    ['POST', '/api/fhir/Patient'],
    ['POST', '/api/fhir'],
    ['GET', '/api/fhir/Patient/pat-1/_history'],
    ['GET', '/api/fhir/Patient/..%2F..%2Fadmin'],
    ['GET', '/api/fhir/$graphql'],
    ['GET', '/api/admin/projects'],
    ['GET', '/api/oauth2/token'],
  ])('%s %s → 404 and never reaches Medplum', async (method, path) => {
    const { app, medplum } = unitApp();
    const cookie = await signIn(app);
    const before = medplum.requests.length;
    const response = await app.request(path, {
      method,
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not_found' });
    expect(medplum.requests.length).toBe(before);
  });

  // One row per rule, each with the exact message of that rule, next to the value the same rule lets through: deleting
  // any one rule makes its row fail.
  const longName = 'a'.repeat(64);
  it.each([
    ['/api/fhir/Patient?_include=*', 'query parameter not allowed here: _include'],
    ['/api/fhir/Observation?subject=Patient/pat-1&_revinclude=x', 'query parameter not allowed here: _revinclude'],
    ['/api/fhir/Patient?_count=0', 'invalid value for query parameter _count'],
    ['/api/fhir/Patient?_count=101', 'invalid value for query parameter _count'],
    ['/api/fhir/Patient?_count=100000', 'invalid value for query parameter _count'],
    ['/api/fhir/Patient?_count=-1', 'invalid value for query parameter _count'],
    ['/api/fhir/Patient?name=a&name=b', 'query parameter given more than once: name'],
    [
      '/api/fhir/Observation?subject=Patient/pat-1&subject=Patient/pat-2',
      'query parameter given more than once: subject',
    ],
    [`/api/fhir/Patient?name=${longName}b`, 'invalid value for query parameter name'],
    ['/api/fhir/Patient?name=', 'invalid value for query parameter name'],
    ['/api/fhir/Patient?name=a%00b', 'invalid value for query parameter name'],
    ['/api/fhir/Patient?name=a%0Ab', 'invalid value for query parameter name'],
    ['/api/fhir/Patient?_offset=x', 'invalid value for query parameter _offset'],
    ['/api/fhir/Patient?_sort=birthdate', 'invalid value for query parameter _sort'],
    ['/api/fhir/Observation?subject=Practitioner/x', 'invalid value for query parameter subject'],
    ['/api/fhir/Observation', 'query parameter required: subject'],
  ])('%s → 400 "%s", without calling Medplum', async (path, message) => {
    const { app, medplum } = unitApp();
    const cookie = await signIn(app);
    const before = medplum.requests.length;
    const response = await app.request(path, { headers: apiHeaders(cookie) });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'bad_request', message });
    expect(medplum.requests.length).toBe(before);
  });

  it.each([
    '/api/fhir/Patient?_count=1',
    '/api/fhir/Patient?_count=100',
    `/api/fhir/Patient?name=${longName}`,
    '/api/fhir/Patient?name=Garc%C3%ADa%20M',
    '/api/fhir/Patient?_offset=20&_sort=family',
    '/api/fhir/Observation?subject=Patient/pat-1&_count=50&_sort=-_lastUpdated',
  ])('%s is forwarded', async (path) => {
    const { app, medplum } = unitApp();
    const cookie = await signIn(app);
    const response = await app.request(path, { headers: apiHeaders(cookie) });
    expect(response.status).toBe(200);
    const forwarded = medplum.fhirRequests().at(-1)?.url.searchParams;
    expect([...(forwarded ?? [])]).toEqual([...new URL(path, 'http://x').searchParams]);
  });

  it('forwards an allowlisted read to fhir/R4 with exactly the allowed query', async () => {
    const { app, medplum } = unitApp();
    const cookie = await signIn(app);
    const response = await app.request('/api/fhir/Observation?subject=Patient/pat-1&_count=10', {
      headers: apiHeaders(cookie),
    });
    expect(response.status).toBe(200);
    const last = medplum.fhirRequests().at(-1);
    expect(last?.url.pathname).toBe('/fhir/R4/Observation');
    expect(last?.url.searchParams.get('subject')).toBe('Patient/pat-1');
    expect(last?.url.searchParams.get('_count')).toBe('10');
  });

  it('header allowlist to Medplum: the browser’s Cookie, Authorization and other headers are never forwarded', async () => {
    const { app, medplum } = unitApp();
    const cookie = await signIn(app);
    await app.request('/api/fhir/Patient/pat-1', {
      headers: apiHeaders(cookie, {
        Authorization: 'Bearer browser-supplied-token',
        'X-Medplum-On-Behalf-Of': 'ProjectMembership/someone-else',
        'X-Forwarded-For': '203.0.113.9',
        'X-Custom': 'nope',
      }),
    });
    const upstream = medplum.fhirRequests().at(-1);
    expect(upstream?.url.pathname).toBe('/fhir/R4/Patient/pat-1');
    const headers = upstream?.headers as Headers;
    expect(headers.get('cookie')).toBeNull();
    expect(headers.get('authorization')).toMatch(/^Bearer /);
    expect(headers.get('authorization')).not.toContain('browser-supplied-token');
    expect(headers.get('x-medplum-on-behalf-of')).toBe('ProjectMembership/m-clin');
    expect(headers.get('x-forwarded-for')).toBeNull();
    expect(headers.get('x-custom')).toBeNull();
    expect(headers.get('origin')).toBeNull();
    expect(headers.get('x-csrf')).toBeNull();
  });

  it('header allowlist to the browser: Medplum’s auth headers and cookies never come back', async () => {
    const { app } = unitApp();
    const cookie = await signIn(app);
    const response = await app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(cookie) });
    expect(response.status).toBe(200);
    for (const name of Object.keys(MEDPLUM_ONLY_HEADERS)) expect(response.headers.get(name), name).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('every table entry is a GET or the one POST the notes form needs', () => {
    expect(API_ALLOWLIST.map((route) => `${route.method} ${route.path}`)).toEqual([
      'GET Patient',
      'GET Patient/:id',
      'GET DiagnosticReport',
      'GET Observation',
      'GET Communication',
      'POST Communication',
    ]);
    expect(matchAllowlist('GET', 'Patient/a/b', new URLSearchParams()).kind).toBe('not-allowed');
  });
});

describe('note body: the browser chooses the patient and the text, the proxy the rest', () => {
  const user = {
    username: 'clinician',
    displayName: 'Dr. Test',
    role: 'Clinician',
    medplum: { membership: 'ProjectMembership/m', profile: 'Practitioner/p', profileDisplay: 'Dr. Test' },
  };
  const now = new Date('2026-01-02T03:04:05Z');

  it('builds the Communication with server-owned sender, sent and status', () => {
    const note = noteFromInput(JSON.parse(noteBody('pat-1', '  BP stable  ')), { user, now });
    expect(note).toEqual({
      resourceType: 'Communication',
      status: 'completed',
      category: [{ text: 'Clinical note (legacy clinic app)' }],
      subject: { reference: 'Patient/pat-1' },
      sender: { reference: 'Practitioner/p', display: 'Dr. Test' },
      sent: '2026-01-02T03:04:05.000Z',
      payload: [{ contentString: 'BP stable' }],
    });
  });

  it.each([
    [
      {
        resourceType: 'Communication',
        subject: { reference: 'Patient/p' },
        payload: [{ contentString: 'x' }],
        meta: {},
      },
    ],
    [
      {
        resourceType: 'Communication',
        subject: { reference: 'Patient/p' },
        payload: [{ contentString: 'x' }],
        sender: {},
      },
    ],
    [{ resourceType: 'Observation', subject: { reference: 'Patient/p' }, payload: [{ contentString: 'x' }] }],
    [{ resourceType: 'Communication', subject: { reference: 'Group/p' }, payload: [{ contentString: 'x' }] }],
    [{ resourceType: 'Communication', subject: { reference: 'Patient/p' }, payload: [{ contentString: '' }] }],
    [{ resourceType: 'Communication', subject: { reference: 'Patient/p' }, payload: [] }],
    [[1, 2]],
  ])('rejects %j', (input) => {
    expect(() => noteFromInput(input, { user, now })).toThrow(InputError);
  });

  it('answers 400 for a bad note and 415 for a non-JSON body, without calling Medplum', async () => {
    const { app, medplum } = unitApp();
    const cookie = await signIn(app);
    const before = medplum.requests.length;
    const bad = await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      body: JSON.stringify({ resourceType: 'Communication', meta: { author: { reference: 'Practitioner/x' } } }),
    });
    const form = await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/x-www-form-urlencoded' }),
      body: 'text=hello',
    });
    expect([bad.status, form.status]).toEqual([400, 415]);
    expect(medplum.requests.length).toBe(before);
  });
});

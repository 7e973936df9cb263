/**
 * The proxy against the real emulator: Medplum's own semantics for client credentials, on-behalf-of (admin needed,
 * meta.author / meta.onBehalfOf), access policies and 403s. The legacy users are the dev users mapped to the seed's
 * memberships: "clinician" → the practitioner (policy "Practitioner"), "reception" → the receptionist (policy
 * "Reception (patient list only)").
 */
import { forbidden } from '@medplum/core';
import type { Bundle, Communication } from '@medplum/fhirtypes';
import { SEED_IDS } from '@org/auth/provisioning';
import type { RunningEmulator } from '@org/medplum-emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiHeaders, noteBody, signIn } from '../helpers.ts';
import { devModel, MARIA, proxyAgainst, proxyIdentity, startEmulatorWithLabResults } from './harness.ts';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulatorWithLabResults();
});
afterAll(async () => {
  await emulator?.stop();
});
afterEach(() => {
  vi.useRealTimers();
});

const LONG_SESSIONS = {
  sessionIdleMs: 24 * 3_600_000,
  sessionAbsoluteMs: 24 * 3_600_000,
  rateLimitPerSession: 100_000,
};

describe('proxy ↔ emulator', () => {
  it('/readyz is ready once the ClientApplication gets a token', async () => {
    const { app, counter } = proxyAgainst(emulator);
    expect((await app.request('/readyz')).status).toBe(200);
    expect(counter.tokenRequests()).toBe(1);
  });

  it('no session → 401, and nothing reaches Medplum', async () => {
    const { app, counter } = proxyAgainst(emulator);
    const response = await app.request(`/api/fhir/Patient/${MARIA}`, { headers: apiHeaders() });
    expect(response.status).toBe(401);
    expect(counter.all()).toBe(0);
  });

  it('a path not on the allowlist → 404 and never reaches Medplum', async () => {
    const { app, counter } = proxyAgainst(emulator);
    const cookie = await signIn(app);
    // Sign-in itself talks to Medplum (token, then the membership lookup); count from here.
    const before = counter.all();
    for (const path of ['/api/fhir/ProjectMembership', `/api/fhir/ClientApplication/${SEED_IDS.proxyMembership}`]) {
      expect((await app.request(path, { headers: apiHeaders(cookie) })).status).toBe(404);
    }
    expect(counter.all()).toBe(before);
  });

  it('missing CSRF header or foreign Origin → 403, and nothing reaches Medplum', async () => {
    const { app, counter } = proxyAgainst(emulator);
    const cookie = await signIn(app);
    const before = counter.all();
    const post = (headers: Record<string, string>) =>
      app.request('/api/fhir/Communication', {
        method: 'POST',
        headers: { Cookie: cookie, 'Content-Type': 'application/json', ...headers },
        body: noteBody(MARIA, 'x'),
      });
    expect((await post({ Origin: 'http://localhost:3001' })).status).toBe(403);
    expect((await post({ 'X-CSRF': '1', Origin: 'http://localhost:3000' })).status).toBe(403);
    expect(counter.all()).toBe(before);
  });

  it('a note written for a user: meta.author = the ClientApplication, meta.onBehalfOf = that user’s profile', async () => {
    const { app, config } = proxyAgainst(emulator);
    const cookie = await signIn(app, config.LEGACY_DEV_USERNAME);
    const created = await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      body: noteBody(MARIA, 'Discussed results; repeat CBC in 3 months.'),
    });
    expect(created.status).toBe(201);
    const note = (await created.json()) as Communication;
    expect(note.meta?.author?.reference).toBe(`ClientApplication/${config.PROXY_MEDPLUM_CLIENT_ID}`);
    expect(note.meta?.onBehalfOf?.reference).toBe(`Practitioner/${SEED_IDS.practitioner}`);

    // Read back through the proxy: Medplum stored the attribution.
    const search = await app.request(`/api/fhir/Communication?subject=Patient/${MARIA}`, {
      headers: apiHeaders(cookie),
    });
    expect(search.status).toBe(200);
    const stored = ((await search.json()) as Bundle<Communication>).entry?.find((e) => e.resource?.id === note.id);
    expect(stored?.resource?.meta?.author?.reference).toBe(`ClientApplication/${config.PROXY_MEDPLUM_CLIENT_ID}`);
    expect(stored?.resource?.meta?.onBehalfOf?.reference).toBe(`Practitioner/${SEED_IDS.practitioner}`);

    // And the patient page shows it.
    const page = await (await app.request(`/patients/${MARIA}`, { headers: { Cookie: cookie } })).text();
    expect(page).toContain('Discussed results; repeat CBC in 3 months.');
    expect(page).toContain(
      `data-author="ClientApplication/${config.PROXY_MEDPLUM_CLIENT_ID}" data-on-behalf-of="Practitioner/${SEED_IDS.practitioner}"`
    );
    expect(page).toContain('Hemoglobin');
    // The lab result is attributed to the device's ClientApplication, with no on-behalf-of.
    expect(page).toContain(`data-author="ClientApplication/${devModel.device.clientId}" data-on-behalf-of=""`);
  });

  it('a user whose policy forbids a resource is refused, although the service identity (admin) can read it', async () => {
    const { app } = proxyAgainst(emulator);
    const cookie = await signIn(app, 'reception');
    const patients = await app.request('/api/fhir/Patient', { headers: apiHeaders(cookie) });
    expect(patients.status).toBe(200);
    const listed = ((await patients.json()) as Bundle).entry?.map((entry) => entry.resource?.id);
    expect(listed?.sort()).toEqual([SEED_IDS.patientJames, SEED_IDS.patientMaria].sort());

    const labs = await app.request(`/api/fhir/Observation?subject=Patient/${MARIA}`, { headers: apiHeaders(cookie) });
    const reports = await app.request(`/api/fhir/DiagnosticReport?subject=Patient/${MARIA}`, {
      headers: apiHeaders(cookie),
    });
    const note = await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      body: noteBody(MARIA, 'reception must not write notes'),
    });
    expect([labs.status, reports.status, note.status]).toEqual([403, 403, 403]);
    // Medplum's own refusal, passed on whole.
    for (const refused of [labs, reports, note]) expect(await refused.json()).toEqual(forbidden);

    // The same read as the proxy's own identity (no on-behalf-of) succeeds: the refusal is the user's policy.
    const service = proxyIdentity(emulator);
    const asService = await service.searchResources('Observation', { subject: `Patient/${MARIA}` });
    expect(asService.map((observation) => observation.code?.text)).toEqual(['Hemoglobin']);
  });

  it('500 proxied requests use one token request', async () => {
    const { app, counter } = proxyAgainst(emulator, LONG_SESSIONS);
    const cookie = await signIn(app);
    const fhirBefore = counter.fhirRequests();
    for (let i = 0; i < 500; i++) {
      const response = await app.request(`/api/fhir/Patient/${MARIA}`, { headers: apiHeaders(cookie) });
      expect(response.status).toBe(200);
    }
    expect(counter.fhirRequests() - fhirBefore).toBe(500);
    // The one token request was made at sign-in (membership lookup); 500 proxied calls added none.
    expect(counter.tokenRequests()).toBe(1);
  });

  it('200 concurrent requests at token expiry cause exactly one token request', async () => {
    // Only Date is faked (timers and sockets are real); the emulator runs in this process, so it issues and checks
    // tokens on the same clock.
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const { app, counter } = proxyAgainst(emulator, LONG_SESSIONS);
    const cookie = await signIn(app);
    expect((await app.request(`/api/fhir/Patient/${MARIA}`, { headers: apiHeaders(cookie) })).status).toBe(200);
    expect(counter.tokenRequests()).toBe(1);

    vi.setSystemTime(start + 3_600_000 - 10_000);
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => app.request(`/api/fhir/Patient/${MARIA}`, { headers: apiHeaders(cookie) }))
    );
    expect(responses.map((response) => response.status)).toEqual(Array(200).fill(200));
    expect(counter.tokenRequests()).toBe(2);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import type { Observation, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, alice, bob, bobsPatientId, deviceClient, otherPatientId, webClient } from '../fixtures/seed.ts';
import type { ContractTarget } from './target.ts';
import { basic, form, startTarget } from './target.ts';

let target: ContractTarget;
let bobToken: string;
let aliceToken: string;
beforeAll(async () => {
  target = await startTarget();
  bobToken = await userToken(bob);
  aliceToken = await userToken(alice);
});
afterAll(() => target.stop());

async function userToken(person: { email: string; password: string }): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const login = await fetch(`${target.baseUrl}auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({
      email: person.email,
      password: person.password,
      clientId: webClient.id,
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
      codeChallengeMethod: 'S256',
    }),
  });
  const { code } = (await login.json()) as { code: string };
  const tokens = await fetch(
    `${target.baseUrl}oauth2/token`,
    form({ grant_type: 'authorization_code', code, code_verifier: verifier })
  );
  return ((await tokens.json()) as { access_token: string }).access_token;
}

async function call(
  authorization: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${target.baseUrl}fhir/R4/${path}`, {
    method,
    headers: {
      Authorization: authorization,
      'X-Medplum': 'extended',
      ...(body ? { 'Content-Type': 'application/fhir+json' } : {}),
      ...headers,
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const bearer = (token: string) => `Bearer ${token}`;
const outcomeId = (json: Record<string, unknown>) => json.id;

describe(`access policies`, () => {
  it('a search returns only what the policy’s criteria allow (%profile substituted)', async () => {
    const { status, json } = await call(bearer(bobToken), 'GET', 'Patient');
    expect(status).toBe(200);
    const ids = ((json.entry ?? []) as { resource: Patient }[]).map((entry) => entry.resource.id);
    expect(ids).toEqual([bobsPatientId]);
    expect(json.total).toBe(1);
  });

  it('reading a resource outside the criteria is 404, as Medplum hides it', async () => {
    expect((await call(bearer(bobToken), 'GET', `Patient/${bobsPatientId}`)).status).toBe(200);
    const denied = await call(bearer(bobToken), 'GET', `Patient/${otherPatientId}`);
    expect(denied.status).toBe(404);
  });

  it('a type the policy does not cover is 403 forbidden, for search and read', async () => {
    const search = await call(bearer(bobToken), 'GET', 'Practitioner');
    expect(search.status).toBe(403);
    expect(outcomeId(search.json)).toBe('forbidden');
    expect((await call(bearer(bobToken), 'GET', `Practitioner/${alice.practitionerId}`)).status).toBe(403);
  });

  it('writes outside the policy: 403 for a create that misses the criteria and a readonly type, 404 for a hidden resource', async () => {
    const outside = await call(bearer(bobToken), 'POST', 'Patient', { resourceType: 'Patient' });
    expect(outside.status).toBe(403);

    const inside = await call(bearer(bobToken), 'POST', 'Patient', {
      resourceType: 'Patient',
      generalPractitioner: [{ reference: `Practitioner/${bob.practitionerId}` }],
    });
    expect(inside.status).toBe(201);

    // A resource the criteria hide does not exist for him: updating it is 404, as reading it is
    // (packages/server/src/fhir/repo.ts, checkExistingResource).
    const other = await call(bearer(aliceToken), 'GET', `Patient/${otherPatientId}`);
    expect((await call(bearer(bobToken), 'PUT', `Patient/${otherPatientId}`, other.json)).status).toBe(404);

    // Moving his own patient out of his reach is refused too (checked after the change).
    const own = await call(bearer(bobToken), 'GET', `Patient/${bobsPatientId}`);
    const moved = { ...own.json, generalPractitioner: [] };
    expect((await call(bearer(bobToken), 'PUT', `Patient/${bobsPatientId}`, moved)).status).toBe(403);

    const observation = await call(bearer(bobToken), 'POST', 'Observation', {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
    });
    expect(observation.status).toBe(403);
    expect((await call(bearer(bobToken), 'DELETE', `Patient/${otherPatientId}`)).status).toBe(404);
  });

  it('project-admin types are invisible to non-admins even with full access; protected types to everyone', async () => {
    expect((await call(bearer(aliceToken), 'GET', 'ProjectMembership')).status).toBe(403);
    expect((await call(bearer(aliceToken), 'GET', 'User')).status).toBe(403);
    expect((await call(bearer(aliceToken), 'GET', 'Patient')).status).toBe(200);
    const admin = basic(adminClient.id, adminClient.secret);
    expect((await call(admin, 'GET', 'ProjectMembership')).status).toBe(200);
    expect((await call(admin, 'GET', 'Login')).status).toBe(403);
    expect((await call(admin, 'GET', 'JsonWebKey')).status).toBe(403);
    const users = await call(admin, 'GET', 'User');
    for (const entry of (users.json.entry ?? []) as { resource: Record<string, unknown> }[]) {
      expect(entry.resource.passwordHash).toBeUndefined();
    }
  });

  it('access[] parameters bind a client to its own Device', async () => {
    const device = basic(deviceClient.id, deviceClient.secret);
    const own: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'glucose' },
      device: { reference: `Device/${deviceClient.deviceId}` },
    };
    const created = await call(device, 'POST', 'Observation', own);
    expect(created.status).toBe(201);
    expect((created.json.meta as { author: { reference: string } }).author.reference).toBe(
      `ClientApplication/${deviceClient.id}`
    );

    const foreign = { ...own, device: { reference: 'Device/someone-elses' } };
    expect((await call(device, 'POST', 'Observation', foreign)).status).toBe(403);
    expect((await call(device, 'GET', 'Patient')).status).toBe(403);
    expect(
      (await call(device, 'PUT', `Observation/${created.json.id}`, { ...created.json, status: 'amended' })).status
    ).toBe(403);
    expect((await call(device, 'GET', `Device/${deviceClient.deviceId}`)).status).toBe(200);
  });
});

describe(`X-Medplum-On-Behalf-Of`, () => {
  const admin = () => basic(adminClient.id, adminClient.secret);

  it('an admin client acting for a membership: author stays the client, onBehalfOf is the member, the member’s policy applies', async () => {
    const headers = { 'X-Medplum-On-Behalf-Of': `ProjectMembership/${bob.membershipId}` };
    const created = await call(
      admin(),
      'POST',
      'Patient',
      { resourceType: 'Patient', generalPractitioner: [{ reference: `Practitioner/${bob.practitionerId}` }] },
      headers
    );
    expect(created.status).toBe(201);
    const meta = created.json.meta as { author: { reference: string }; onBehalfOf: { reference: string } };
    expect(meta.author.reference).toBe(`ClientApplication/${adminClient.id}`);
    expect(meta.onBehalfOf.reference).toBe(`Practitioner/${bob.practitionerId}`);
    expect((await call(admin(), 'GET', `Patient/${otherPatientId}`, undefined, headers)).status).toBe(404);
    expect((await call(admin(), 'GET', `Patient/${otherPatientId}`)).status).toBe(200);
  });

  it('also accepts the profile reference, with a Bearer token', async () => {
    const tokens = await fetch(
      `${target.baseUrl}oauth2/token`,
      form({ grant_type: 'client_credentials', client_id: adminClient.id, client_secret: adminClient.secret })
    );
    const { access_token } = (await tokens.json()) as { access_token: string };
    const response = await call(bearer(access_token), 'GET', 'Patient', undefined, {
      'X-Medplum-On-Behalf-Of': `Practitioner/${bob.practitionerId}`,
    });
    expect(response.status).toBe(200);
    const patients = ((response.json.entry ?? []) as { resource: Patient }[]).map((entry) => entry.resource);
    expect(patients.map((p) => p.id)).toContain(bobsPatientId);
    expect(patients.map((p) => p.id)).not.toContain(otherPatientId);
    for (const patient of patients) {
      expect(patient.generalPractitioner?.[0]?.reference).toBe(`Practitioner/${bob.practitionerId}`);
    }
  });

  it('a non-admin caller → 400 "Authentication error" (Forbidden), and so does an unknown target', async () => {
    const device = basic(deviceClient.id, deviceClient.secret);
    const asBob = { 'X-Medplum-On-Behalf-Of': `ProjectMembership/${bob.membershipId}` };
    const unknown = { 'X-Medplum-On-Behalf-Of': 'ProjectMembership/00000000-0000-4000-8000-00000000dead' };
    for (const [authorization, headers] of [
      [device, asBob],
      [bearer(aliceToken), asBob],
      [admin(), unknown],
    ] as const) {
      const refused = await call(authorization, 'GET', 'Patient', undefined, headers);
      expect(refused.status).toBe(400);
      expect((refused.json as { issue: unknown[] }).issue).toEqual([
        { severity: 'error', code: 'invalid', details: { text: 'Authentication error' }, diagnostics: 'Forbidden' },
      ]);
    }
  });
});

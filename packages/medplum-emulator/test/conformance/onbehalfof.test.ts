import { randomUUID } from 'node:crypto';
import type { AccessPolicy, OperationOutcome, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ContractTarget } from '../contract/target.ts';
import { basic, startTarget } from '../contract/target.ts';
import { adminClient, PROJECT_ID, provisionedClient, provisionedLike, SECOND_PROJECT_ID } from '../fixtures/seed.ts';
import { seedWith } from './harness.ts';
import { mirrorOf } from './mirror.ts';

const medplum = mirrorOf('packages/server/src/fhir/onbehalfof.int.test.ts', '6e2e8ae381f02c3d3a63588ca845aa61d384575c');

/** A practitioner member whose policy only covers the Patients of one organization account. */
function accountMember(extra: Resource[]): { profile: string; account: string } {
  const practitionerId = randomUUID();
  const policyId = randomUUID();
  const account = `Organization/${randomUUID()}`;
  const meta = { project: PROJECT_ID };
  extra.push(
    { resourceType: 'Practitioner', id: practitionerId, meta, name: [{ given: ['Test'], family: 'Member' }] },
    {
      resourceType: 'AccessPolicy',
      id: policyId,
      meta,
      compartment: { reference: account },
      resource: [{ resourceType: 'Patient', criteria: `Patient?_compartment=${account}` }],
    } satisfies AccessPolicy,
    {
      resourceType: 'ProjectMembership',
      id: randomUUID(),
      meta,
      project: { reference: `Project/${PROJECT_ID}` },
      user: { reference: `User/${randomUUID()}` },
      profile: { reference: `Practitioner/${practitionerId}` },
      accessPolicy: { reference: `AccessPolicy/${policyId}` },
    }
  );
  const member = { profile: `Practitioner/${practitionerId}`, account };
  provisionedLike(member);
  return member;
}

function confidentialClient(
  extra: Resource[],
  projectId: string,
  admin: boolean
): { clientId: string; secret: string; auth: string } {
  const id = randomUUID();
  const secret = randomUUID();
  const meta = { project: projectId };
  extra.push(
    { resourceType: 'ClientApplication', id, meta, name: 'On-behalf-of test client', secret },
    {
      resourceType: 'ProjectMembership',
      id: randomUUID(),
      meta,
      project: { reference: `Project/${projectId}` },
      user: { reference: `ClientApplication/${id}` },
      profile: { reference: `ClientApplication/${id}` },
      admin,
    }
  );
  return provisionedClient({ clientId: id, secret });
}

const extra: Resource[] = [];
const member1 = accountMember(extra);
const member2 = accountMember(extra);
const accountOnlyMember = accountMember(extra);
const plainMember = accountMember(extra);
const nonAdminClient = confidentialClient(extra, PROJECT_ID, false);
const otherProjectAdmin = confidentialClient(extra, SECOND_PROJECT_ID, true);

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget({ seed: seedWith(extra) });
});
afterAll(() => target.stop());

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function call(
  authorization: string,
  method: 'GET' | 'POST',
  path: string,
  onBehalfOf: string,
  body?: unknown
): Promise<Answer> {
  const response = await fetch(`${target.baseUrl}fhir/R4/${path}`, {
    method,
    headers: {
      Authorization: authorization,
      'X-Medplum': 'extended',
      'X-Medplum-On-Behalf-Of': onBehalfOf,
      ...(body ? { 'Content-Type': 'application/fhir+json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

async function bearerToken(): Promise<string> {
  const response = await fetch(`${target.baseUrl}oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: adminClient.id,
      client_secret: adminClient.secret,
    }).toString(),
  });
  return `Bearer ${((await response.json()) as { access_token: string }).access_token}`;
}

/** The scenario both "Set meta onBehalfOf" cases run, with Basic auth or a client-credentials token. */
async function twoMembersScenario(authorization: string): Promise<void> {
  const clientReference = `ClientApplication/${adminClient.id}`;
  const create = async (profile: string): Promise<Patient> => {
    const created = await call(authorization, 'POST', 'Patient', profile, { resourceType: 'Patient' });
    expect(created.status).toBe(201);
    expect(created.json.resourceType).toBe('Patient');
    // Medplum's test checks parts of it; the whole header is the new version's absolute URL.
    expect(created.headers.get('location')).toBe(
      `${target.baseUrl}fhir/R4/Patient/${created.json.id}/_history/${(created.json as unknown as Patient).meta?.versionId}`
    );
    const patient = created.json as unknown as Patient;
    expect(patient.meta?.author?.reference).toBe(clientReference);
    expect(patient.meta?.onBehalfOf?.reference).toBe(profile);
    return patient;
  };
  const readAs = async (profile: string, patient: Patient) => {
    const read = await call(authorization, 'GET', `Patient/${patient.id}`, profile);
    expect(read.status).toBe(200);
    const body = read.json as unknown as Patient;
    expect(body.resourceType).toBe('Patient');
    expect(body.id).toBe(patient.id);
    expect(body.meta?.author?.reference).toBe(clientReference);
    expect(body.meta?.onBehalfOf?.reference).toBe(profile);
  };

  const patient1 = await create(member1.profile);
  await readAs(member1.profile, patient1);
  const patient3 = await create(member2.profile);
  await readAs(member2.profile, patient3);

  // Each member's policy hides the other's patient.
  expect((await call(authorization, 'GET', `Patient/${patient1.id}`, member2.profile)).status).toBe(404);
  expect((await call(authorization, 'GET', `Patient/${patient3.id}`, member1.profile)).status).toBe(404);
}

function expectAuthenticationError(answer: Answer): void {
  expect(answer.status).toBe(400);
  const outcome = answer.json as unknown as OperationOutcome;
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue?.[0]).toMatchObject({
    severity: 'error',
    code: 'invalid',
    details: { text: 'Authentication error' },
    diagnostics: expect.stringContaining('Forbidden'),
  });
}

medplum.describe(() => {
  medplum.it('Set meta onBehalfOf with basic auth', async () => {
    await twoMembersScenario(basic(adminClient.id, adminClient.secret));
  });

  medplum.it('Set meta onBehalfOf with client credentials', async () => {
    await twoMembersScenario(await bearerToken());
  });

  medplum.it('Forbidden for non-admin', async () => {
    const answer = await call(nonAdminClient.auth, 'POST', 'Patient', plainMember.profile, { resourceType: 'Patient' });
    expectAuthenticationError(answer);
  });

  medplum.it('Forbidden for cross project', async () => {
    const answer = await call(
      basic(adminClient.id, adminClient.secret),
      'POST',
      'Patient',
      `ClientApplication/${otherProjectAdmin.clientId}`,
      { resourceType: 'Patient' }
    );
    expectAuthenticationError(answer);
  });

  medplum.it('Consistent meta.account behavior', async () => {
    const authorization = basic(adminClient.id, adminClient.secret);
    const { profile, account } = accountOnlyMember;
    const bodies: Patient[] = [
      { resourceType: 'Patient' },
      // An empty meta, and a meta.account of the client's choosing, are both ignored: the acting member is no admin.
      { resourceType: 'Patient', meta: {} },
      { resourceType: 'Patient', meta: { account: { reference: `Organization/${randomUUID()}` } } },
    ];
    const ids = new Set<string>();
    for (const body of bodies) {
      const created = await call(authorization, 'POST', 'Patient', profile, body);
      expect(created.status).toBe(201);
      expect(created.json.resourceType).toBe('Patient');
      const patient = created.json as unknown as Patient;
      ids.add(patient.id as string);
      expect(patient.meta?.author?.reference).toBe(`ClientApplication/${adminClient.id}`);
      expect(patient.meta?.onBehalfOf?.reference).toBe(profile);
      expect(patient.meta?.account?.reference).toBe(account);
      expect(patient.meta?.accounts).toEqual([{ reference: account }]);
    }
    expect(ids.size).toBe(3);
  });
});

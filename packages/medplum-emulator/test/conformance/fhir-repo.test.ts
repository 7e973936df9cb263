import { randomUUID } from 'node:crypto';
import type {
  Bundle,
  OperationOutcome,
  OperationOutcomeIssue,
  Organization,
  Parameters,
  Patient,
  Practitioner,
  ProjectMembership,
  Questionnaire,
  Reference,
  Resource,
} from '@medplum/fhirtypes';
import { afterAll, beforeAll, expect } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { basic, startTarget } from '../contract/target.ts';
import { alice, buildSeed, PROJECT_ID, provisionedClient } from '../fixtures/seed.ts';
import { passwordTokens, seedWith } from './harness.ts';
import { mirrorOf } from './mirror.ts';

const repoTest = mirrorOf('packages/server/src/fhir/repo.test.ts', 'db3936c86fea765d3a51de341194c87887b8a7b5');
const routesTest = mirrorOf('packages/server/src/fhir/routes.int.test.ts', '92f124a68613c287a4afb4bb5c58183c1a21fe60');

const meta = { project: PROJECT_ID };

/** A plain member of the seed project (no policy, not an admin), as `createTestProject` / `addTestUser` make one. */
function plainClient(seed: Resource[]): { clientId: string; auth: string; membershipId: string } {
  const id = randomUUID();
  const secret = randomUUID();
  const membershipId = randomUUID();
  seed.push(
    { resourceType: 'ClientApplication', id, meta, name: 'Repo test client', secret },
    {
      resourceType: 'ProjectMembership',
      id: membershipId,
      meta,
      project: { reference: `Project/${PROJECT_ID}` },
      user: { reference: `ClientApplication/${id}` },
      profile: { reference: `ClientApplication/${id}` },
    }
  );
  return provisionedClient({ clientId: id, secret, membershipId });
}

const extra: Resource[] = [];
const member = plainClient(extra);
const otherMember = plainClient(extra);

let target: ContractTarget;
/** The seed's project-admin client, or MEDPLUM_CONTRACT_CLIENT_* against a real Medplum. */
let client: string;
let practitionerToken: string;
beforeAll(async () => {
  target = await startTarget({ seed: seedWith(extra) });
  client = basic(target.client.id, target.client.secret);
  practitionerToken = `Bearer ${(await passwordTokens(target, alice)).access_token}`;
});
afterAll(() => target.stop());

interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

async function request<T = Record<string, unknown>>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  options: { auth?: string; body?: unknown; raw?: string; contentType?: string; headers?: Record<string, string> } = {}
): Promise<Answer<T>> {
  const contentType =
    options.contentType ?? (options.body !== undefined || options.raw !== undefined ? 'application/json' : undefined);
  const response = await fetch(`${target.baseUrl}fhir/R4/${path}`, {
    method,
    headers: {
      Authorization: options.auth ?? client,
      ...(contentType ? { 'Content-Type': contentType } : {}),
      ...options.headers,
    },
    ...(options.raw !== undefined ? { body: options.raw } : {}),
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let json = {} as T;
  try {
    json = (text ? JSON.parse(text) : {}) as T;
  } catch {
    // Not JSON: the caller looks at `text`.
  }
  return { status: response.status, headers: response.headers, text, json };
}

async function create<T extends Resource>(
  resource: T,
  auth = client,
  headers: Record<string, string> = {}
): Promise<T> {
  const answer = await request<T>('POST', resource.resourceType, { auth, body: resource, headers });
  if (answer.status !== 201) throw new Error(`create: ${answer.status} ${answer.text}`);
  return answer.json;
}

function issue(answer: Answer<unknown>): OperationOutcomeIssue | undefined {
  return (answer.json as unknown as OperationOutcome).issue?.[0];
}

const EXTENDED = { 'X-Medplum': 'extended' };

repoTest.describe(() => {
  repoTest.it('Read resource with invalid id', async () => {
    const answer = await request('GET', 'Patient/x');
    expect(answer.status).toBe(404);
    expect((answer.json as unknown as OperationOutcome).id).toBe('not-found');
  });

  repoTest.it('Read history', async () => {
    const version1 = await create<Patient>({
      resourceType: 'Patient',
      meta: { lastUpdated: new Date(Date.now() - 1000 * 60).toISOString() },
    });
    const version2 = await request<Patient>('PUT', `Patient/${version1.id}`, {
      body: { resourceType: 'Patient', id: version1.id, active: true, meta: { lastUpdated: new Date().toISOString() } },
    });
    expect(version2.json.id).toBe(version1.id);
    expect(version2.json.meta?.versionId).not.toBe(version1.meta?.versionId);
    const history = await request<Bundle<Patient>>('GET', `Patient/${version1.id}/_history`);
    expect(history.json.entry).toHaveLength(2);
    expect(history.json.entry?.[0]?.resource?.meta?.versionId).toBe(version2.json.meta?.versionId);
    expect(history.json.entry?.[1]?.resource?.meta?.versionId).toBe(version1.meta?.versionId);
  });

  repoTest.it('Update patient', async () => {
    const patient1 = await create<Patient>({
      resourceType: 'Patient',
      name: [{ given: ['Update1'], family: 'Update1' }],
    });
    const patient2 = await request<Patient>('PUT', `Patient/${patient1.id}`, { body: { ...patient1, active: true } });
    expect(patient2.json.id).toBe(patient1.id);
    expect(patient2.json.meta?.versionId).not.toBe(patient1.meta?.versionId);
  });

  repoTest.it('Update patient remove meta.profile', async () => {
    const profileUrl = 'http://example.com/patient-profile';
    const patient1 = await create<Patient>({
      resourceType: 'Patient',
      meta: { profile: [profileUrl] },
      name: [{ given: ['Update1'], family: 'Update1' }],
    });
    expect(patient1.meta?.profile).toEqual([profileUrl]);
    const { profile: _profile, ...withoutProfile } = patient1.meta ?? {};
    const patient2 = await request<Patient>('PUT', `Patient/${patient1.id}`, {
      body: { ...patient1, meta: withoutProfile },
    });
    expect(patient2.status).toBe(200);
    expect('profile' in (patient2.json.meta ?? {})).toBe(false);
  });

  repoTest.it('meta.project preserved after attempting to remove it', async () => {
    const patient1 = await create<Patient>(
      { resourceType: 'Patient', name: [{ given: ['Update1'], family: 'Update1' }] },
      member.auth,
      EXTENDED
    );
    expect(patient1.meta?.project).toBe(PROJECT_ID);
    const { project: _project, ...withoutProject } = patient1.meta ?? {};
    const patient2 = await request<Patient>('PUT', `Patient/${patient1.id}`, {
      body: { ...patient1, meta: withoutProject, active: true },
      headers: EXTENDED,
    });
    expect(patient2.json.meta?.project).toBe(PROJECT_ID);
  });

  repoTest.it('Update patient no changes', async () => {
    const patient1 = await create<Patient>({
      resourceType: 'Patient',
      name: [{ given: ['Update1'], family: 'Update1' }],
    });
    const patient2 = await request<Patient>('PUT', `Patient/${patient1.id}`, { body: { ...patient1 } });
    expect(patient2.json.id).toBe(patient1.id);
    expect(patient2.json.meta?.versionId).toBe(patient1.meta?.versionId);
  });

  repoTest.it('Update patient multiple names', async () => {
    const patient1 = await create<Patient>({ resourceType: 'Patient', name: [{ given: ['Suzy'], family: 'Smith' }] });
    const patient2 = await request<Patient>('PUT', `Patient/${patient1.id}`, {
      body: {
        ...patient1,
        name: [
          { given: ['Suzy'], family: 'Smith' },
          { given: ['Suzy'], family: 'Jones' },
        ],
      },
    });
    expect(patient2.json.id).toBe(patient1.id);
    expect(patient2.json.meta?.versionId).not.toBe(patient1.meta?.versionId);
    expect(patient2.json.name?.map((n) => n.family)).toEqual(['Smith', 'Jones']);
  });

  repoTest.it('Create Patient with custom ID', async () => {
    // Only the system chooses ids: an update of an id that never existed is not a create.
    const id = randomUUID();
    const answer = await request('PUT', `Patient/${id}`, {
      body: { resourceType: 'Patient', id, name: [{ given: ['Alice'], family: 'Smith' }] },
    });
    expect(answer.status).toBe(404);
    expect((answer.json as unknown as OperationOutcome).id).toBe('not-found');
  });

  repoTest.it('Create Patient as ClientApplication with no author', async () => {
    const patient = await create<Patient>(
      { resourceType: 'Patient', name: [{ given: ['Alice'], family: 'Smith' }] },
      client,
      EXTENDED
    );
    expect(patient.meta?.author?.reference).toBe(`ClientApplication/${target.client.id}`);
  });

  repoTest.it('Create Patient as Practitioner with no author', async () => {
    const patient = await create<Patient>(
      { resourceType: 'Patient', name: [{ given: ['Alice'], family: 'Smith' }] },
      practitionerToken,
      EXTENDED
    );
    expect(patient.meta?.author?.reference).toBe(`Practitioner/${alice.practitionerId}`);
  });

  repoTest.it('Create Patient as Practitioner on behalf of author', async () => {
    const patient = await create<Patient>(
      {
        resourceType: 'Patient',
        name: [{ given: ['Alice'], family: 'Smith' }],
        meta: { author: { reference: `Practitioner/${randomUUID()}` } },
      },
      practitionerToken,
      EXTENDED
    );
    expect(patient.meta?.author?.reference).toBe(`Practitioner/${alice.practitionerId}`);
  });

  repoTest.it('Create resource with account', async () => {
    const account = `Organization/${randomUUID()}`;
    const patient = await create<Patient>(
      {
        resourceType: 'Patient',
        name: [{ given: ['Alice'], family: 'Smith' }],
        meta: { account: { reference: account } },
      },
      practitionerToken,
      EXTENDED
    );
    expect(patient.meta?.author?.reference).toBe(`Practitioner/${alice.practitionerId}`);
    expect(patient.meta?.account?.reference).toBe(account);
  });

  repoTest.it('Update resource with matching versionId', async () => {
    const patient = await create<Patient>({ resourceType: 'Patient', name: [{ family: 'Test' }] });
    const updated = await request<Patient>('PUT', `Patient/${patient.id}`, {
      body: { ...patient, name: [{ family: 'TestUpdated' }] },
      headers: { 'If-Match': `W/"${patient.meta?.versionId}"` },
    });
    expect(updated.status).toBe(200);
    expect(updated.json.name?.[0]?.family).toBe('TestUpdated');
  });

  repoTest.it('Update resource with different versionId', async () => {
    const patient = await create<Patient>({ resourceType: 'Patient', name: [{ family: 'Test' }] });
    const answer = await request('PUT', `Patient/${patient.id}`, {
      body: patient,
      headers: { 'If-Match': 'W/"bad-id"' },
    });
    expect(answer.status).toBe(412);
    expect((answer.json as unknown as OperationOutcome).id).toBe('precondition-failed');
  });

  repoTest.it('Read history after delete', async () => {
    const patient = await create<Patient>({ resourceType: 'Patient', name: [{ given: ['Alice'], family: 'Smith' }] });
    const history1 = await request<Bundle>('GET', `Patient/${patient.id}/_history`);
    expect(history1.json.entry).toHaveLength(1);

    expect((await request('DELETE', `Patient/${patient.id}`)).status).toBe(200);
    const history2 = await request<Bundle>('GET', `Patient/${patient.id}/_history`);
    expect(history2.json.entry).toHaveLength(2);

    // Writing a deleted id again restores it.
    const restored = await request('PUT', `Patient/${patient.id}`, { body: { ...patient, meta: undefined } });
    expect(restored.status).toBe(200);
    const history3 = await request<Bundle>('GET', `Patient/${patient.id}/_history`);
    const entries = history3.json.entry ?? [];
    expect(entries).toHaveLength(3);
    expect(entries[0]?.response?.status).toBe('200');
    expect(entries[0]?.resource).toBeDefined();
    expect(entries[1]?.response?.status).toBe('410');
    const deletion = entries[1]?.response?.outcome as OperationOutcome | undefined;
    expect(deletion?.issue?.[0]?.details?.text).toMatch(/Deleted on /);
    expect(entries[1]?.resource).toBeUndefined();
    expect(entries[2]?.response?.status).toBe('200');
    expect(entries[2]?.resource).toBeDefined();
  });

  repoTest.it('Remove property', async () => {
    const value = randomUUID();
    const patient1 = await create<Patient>({
      resourceType: 'Patient',
      name: [{ given: ['Identifier'], family: 'Test' }],
      identifier: [{ system: 'https://example.com/', value }],
    });
    expect((await request<Bundle>('GET', `Patient?identifier=${value}`)).json.entry).toHaveLength(1);
    const { identifier: _identifier, ...rest } = patient1;
    const patient2 = await request<Patient>('PUT', `Patient/${patient1.id}`, { body: rest });
    expect(patient2.json.identifier).toBeUndefined();
    expect((await request<Bundle>('GET', `Patient?identifier=${value}`)).json.entry ?? []).toHaveLength(0);
  });

  repoTest.it('Delete Questionnaire.subjectType', async () => {
    const nonce = randomUUID();
    const resource1 = await create<Questionnaire>({
      resourceType: 'Questionnaire',
      status: 'active',
      subjectType: [nonce as 'Patient'],
    });
    expect((await request<Bundle>('GET', `Questionnaire?subject-type=${nonce}`)).json.entry).toHaveLength(1);
    const { subjectType: _subjectType, ...rest } = resource1;
    expect((await request('PUT', `Questionnaire/${resource1.id}`, { body: rest })).status).toBe(200);
    expect((await request<Bundle>('GET', `Questionnaire?subject-type=${nonce}`)).json.entry ?? []).toHaveLength(0);
  });

  repoTest.it('Empty objects', async () => {
    const patient1 = await create<Patient>({ resourceType: 'Patient', contact: [{ name: { given: ['Test'] } }] });
    const patient2 = await request<Patient>('PUT', `Patient/${patient1.id}`, {
      body: { resourceType: 'Patient', id: patient1.id, contact: [{ name: { given: ['Test'] } }] },
    });
    expect(patient2.json.id).toBe(patient1.id);
  });

  repoTest.it('Malformed client assigned ID', async () => {
    const answer = await request('PUT', 'Patient/123', { body: { resourceType: 'Patient', id: '123' } });
    expect(answer.status).toBe(400);
    expect(issue(answer)?.details?.text).toBe('Invalid id');
  });

  repoTest.it('Conditional update', async () => {
    const mrn = randomUUID();
    const identifier = `http://example.com/mrn|${mrn}`;
    const patient: Patient = {
      resourceType: 'Patient',
      identifier: [{ system: 'http://example.com/mrn', value: mrn }],
    };
    const put = (path: string, body: Patient) => request<Patient>('PUT', path, { body });

    const mismatch = await put(`Observation?identifier=${identifier}`, patient);
    expect(mismatch.status).toBe(400);
    expect(issue(mismatch)?.details?.text).toBe('Search type must match resource type for conditional update');

    const preassigned = await put(`Patient?identifier=${identifier}`, { ...patient, id: randomUUID() });
    expect(preassigned.status).toBe(400);
    expect(issue(preassigned)).toMatchObject({
      details: { text: 'Cannot perform create as update with client-assigned ID' },
      expression: ['Patient.id'],
    });

    const created = await put(`Patient?identifier=${identifier}`, patient);
    expect(created.status).toBe(201);
    const existing = created.json;

    const updated = await put(`Patient?identifier=${identifier}`, { ...patient, gender: 'unknown' });
    expect(updated.status).toBe(200);
    expect(updated.json.id).toBe(existing.id);
    expect(updated.json.gender).toBe('unknown');

    const wrongId = await put(`Patient?identifier=${identifier}`, { ...patient, gender: 'unknown', id: randomUUID() });
    expect(wrongId.status).toBe(400);
    expect(issue(wrongId)).toMatchObject({
      details: { text: 'Resource ID did not match resolved ID' },
      expression: ['Patient.id'],
    });

    const duplicate = await create<Patient>({ ...patient, id: randomUUID() });
    expect(duplicate.id).not.toBe(existing.id);
    const ambiguous = await put(`Patient?identifier=${identifier}`, { ...patient, gender: 'unknown' });
    expect(ambiguous.status).toBe(412);
    expect(issue(ambiguous)?.details?.text).toBe('Multiple resources found matching condition');
  });

  repoTest.it('Double DELETE', async () => {
    const patient = await create<Patient>({ resourceType: 'Patient' });
    expect((await request('DELETE', `Patient/${patient.id}`)).status).toBe(200);
    expect((await request('DELETE', `Patient/${patient.id}`)).status).toBe(200);
  });

  repoTest.it('Conditional reference resolution', async () => {
    const npi = randomUUID();
    const practitioner = await create<Practitioner>({
      resourceType: 'Practitioner',
      identifier: [{ system: 'http://hl7.org.fhir/sid/us-npi', value: npi }],
    });
    const conditional: Reference<Practitioner> = {
      reference: `Practitioner?identifier=http://hl7.org.fhir/sid/us-npi|${npi}`,
    };
    const patient = await create<Patient>(
      { resourceType: 'Patient', meta: { account: conditional }, generalPractitioner: [conditional] },
      client,
      EXTENDED
    );
    expect(patient.generalPractitioner?.[0]?.reference).toBe(`Practitioner/${practitioner.id}`);
    expect(patient.meta?.account?.reference).toBe(`Practitioner/${practitioner.id}`);
  });

  repoTest.it('Conditional reference resolution failure', async () => {
    const reference = `Practitioner?identifier=http://hl7.org.fhir/sid/us-npi|${randomUUID()}`;
    const answer = await request('POST', 'Patient', {
      body: { resourceType: 'Patient', generalPractitioner: [{ reference }] },
    });
    expect(answer.status).toBe(400);
    expect(issue(answer)).toMatchObject({
      details: { text: `Conditional reference '${reference}' did not match any resources` },
      expression: ['Patient.generalPractitioner[0]'],
    });
  });

  repoTest.it('Conditional reference resolution multiple matches', async () => {
    const npi = randomUUID();
    for (let i = 0; i < 2; i++) {
      await create<Practitioner>({
        resourceType: 'Practitioner',
        identifier: [{ system: 'http://hl7.org.fhir/sid/us-npi', value: npi }],
      });
    }
    const reference = `Practitioner?identifier=http://hl7.org.fhir/sid/us-npi|${npi}`;
    const answer = await request('POST', 'Patient', {
      body: { resourceType: 'Patient', generalPractitioner: [{ reference }] },
    });
    expect(answer.status).toBe(400);
    expect(issue(answer)?.details?.text).toBe(`Conditional reference '${reference}' matched multiple resources`);
  });
});

routesTest.describe(() => {
  let patientId: string;
  let patientVersionId: string;
  beforeAll(async () => {
    const patient = await create<Patient>({ resourceType: 'Patient', name: [{ given: ['Alice'], family: 'Smith' }] });
    patientId = patient.id as string;
    patientVersionId = patient.meta?.versionId as string;
  });

  routesTest.it('Invalid JSON', async () => {
    expect((await request('POST', '', { raw: 'not-json', contentType: 'application/fhir+json' })).status).toBe(400);
  });

  routesTest.it('Create resource success with %s FHIR JSON response format [standard]', async () => {
    const answer = await request<Patient>('POST', 'Patient', {
      body: { resourceType: 'Patient', identifier: [] },
      contentType: 'application/fhir+json',
    });
    expect(answer.status).toBe(201);
    expect(answer.json.resourceType).toBe('Patient');
    // Medplum's test checks parts of it; the whole header is the new version's absolute URL.
    expect(answer.headers.get('location')).toBe(
      `${target.baseUrl}fhir/R4/Patient/${answer.json.id}/_history/${(answer.json as Patient).meta?.versionId}`
    );
    expect((await request('GET', `Patient/${answer.json.id}`)).status).toBe(200);
    expect(answer.json.identifier).toBeUndefined();
  });

  routesTest.it('Create resource invalid resource type', async () => {
    expect((await request('POST', 'Patientx', { body: { resourceType: 'Patientx' } })).status).toBe(400);
  });

  routesTest.it('Create resource incorrect resource type', async () => {
    expect((await request('POST', 'Patient', { body: { resourceType: 'Patientx' } })).status).toBe(400);
  });

  routesTest.it('Create resource invalid content type', async () => {
    expect((await request('POST', 'Patient', { raw: 'hello', contentType: 'text/plain' })).status).toBe(400);
  });

  routesTest.it('Read resource', async () => {
    expect((await request('GET', `Patient/${patientId}`)).status).toBe(200);
  });

  routesTest.it('Read resource _pretty', async () => {
    const answer = await request('GET', `Patient/${patientId}?_pretty=true`);
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(JSON.stringify(answer.json, undefined, 2));
  });

  routesTest.it('Read resource invalid UUID', async () => {
    expect((await request('GET', 'Patient/123')).status).toBe(404);
  });

  routesTest.it('Read resource invalid resource type', async () => {
    expect((await request('GET', `Patientx/${patientId}`)).status).toBe(400);
  });

  routesTest.it('Read resource not found', async () => {
    expect((await request('GET', 'Patient/8a54c7db-654b-4c3d-ba85-e0909f51c12c')).status).toBe(404);
  });

  routesTest.it('Read resource minimal', async () => {
    const answer = await request('GET', `Patient/${patientId}`, { headers: { Prefer: 'return=minimal' } });
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('');
  });

  routesTest.it('Read resource history', async () => {
    const answer = await request<Bundle>('GET', `Patient/${patientId}/_history?_count=2&_offset=0`);
    expect(answer.status).toBe(200);
    expect(answer.json.entry).toHaveLength(1);
  });

  routesTest.it('Read resource history invalid UUID', async () => {
    expect((await request('GET', 'Patient/123/_history')).status).toBe(404);
  });

  routesTest.it('Read resource history invalid resource type', async () => {
    expect((await request('GET', `xyz/${patientId}/_history`)).status).toBe(400);
  });

  routesTest.it('Read resource version', async () => {
    const answer = await request('GET', `Patient/${patientId}/_history/${patientVersionId}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('etag')).toBe(`W/"${patientVersionId}"`);
  });

  routesTest.it('Read resource version invalid UUID', async () => {
    expect((await request('GET', `Patient/123/_history/${patientVersionId}`)).status).toBe(404);
  });

  routesTest.it('Read resource version invalid version UUID', async () => {
    expect((await request('GET', `Patient/${patientId}/_history/123`)).status).toBe(404);
  });

  routesTest.it('Read resource version invalid resource type', async () => {
    expect((await request('GET', `xyz/${patientId}/_history/${patientVersionId}`)).status).toBe(400);
  });

  routesTest.it('Read resource version not found', async () => {
    expect((await request('GET', `Patient/${patientId}/_history/${randomUUID()}`)).status).toBe(404);
  });

  routesTest.it('Update resource', async () => {
    const patient = await create<Patient>({ resourceType: 'Patient' });
    expect((await request('PUT', `Patient/${patient.id}`, { body: { ...patient, active: true } })).status).toBe(200);
  });

  routesTest.it('Update resource not modified', async () => {
    const patient = await create<Patient>({ resourceType: 'Patient' });
    const answer = await request<Patient>('PUT', `Patient/${patient.id}`, { body: patient });
    expect(answer.status).toBe(200);
    expect(answer.json.meta?.versionId).toBe(patient.meta?.versionId);
  });

  routesTest.it('Update resource not modified with empty strings', async () => {
    const patient = await create<Patient>({
      resourceType: 'Patient',
      managingOrganization: { reference: 'Organization/125' },
    });
    const answer = await request<Patient>('PUT', `Patient/${patient.id}`, {
      body: { ...patient, managingOrganization: { reference: 'Organization/125', display: '' } },
    });
    expect(answer.status).toBe(200);
    expect(answer.json.meta?.versionId).toBe(patient.meta?.versionId);
  });

  routesTest.it('Update resource invalid', async () => {
    expect((await request('PUT', `Patient/${patientId}`, { body: {} })).status).toBe(400);
  });

  routesTest.it('Update resource wrong content-type', async () => {
    expect((await request('PUT', `Patient/${patientId}`, { raw: 'hello', contentType: 'text/plain' })).status).toBe(
      400
    );
  });

  routesTest.it('Update resource missing ID', async () => {
    expect((await request('PUT', `Patient/${patientId}`, { body: { resourceType: 'Patient' } })).status).toBe(400);
  });

  routesTest.it('Update resource not found', async () => {
    expect((await request('PUT', `Patient/${randomUUID()}`, { body: { resourceType: 'Patient' } })).status).toBe(400);
  });

  routesTest.it('Update resource with precondition', async () => {
    const patient = await create<Patient>({ resourceType: 'Patient' });
    const answer = await request('PUT', `Patient/${patient.id}`, {
      body: { ...patient, active: true },
      headers: { 'If-Match': `W/"${patient.meta?.versionId}"` },
    });
    expect(answer.status).toBe(200);
  });

  routesTest.it('Update resource with failed precondition', async () => {
    const patient = await create<Patient>({ resourceType: 'Patient' });
    const answer = await request('PUT', `Patient/${patient.id}`, {
      body: { ...patient, active: true },
      headers: { 'If-Match': 'W/"bad-id"' },
    });
    expect(answer.status).toBe(412);
  });

  routesTest.it('Delete resource', async () => {
    const patient = await create<Patient>({ resourceType: 'Patient' });
    expect((await request('DELETE', `Patient/${patient.id}`)).status).toBe(200);
    expect((await request('GET', `Patient/${patient.id}`)).status).toBe(410);
  });

  routesTest.it('Delete resource invalid UUID', async () => {
    expect((await request('DELETE', 'Patient/123')).status).toBe(404);
  });

  routesTest.it('Delete resource invalid resource type', async () => {
    expect((await request('DELETE', `xyz/${patientId}`)).status).toBe(400);
  });

  routesTest.it('Patch resource not found', async () => {
    const answer = await request('PATCH', `Patient/${randomUUID()}`, {
      body: [{ op: 'add', path: '/generalPractitioner', value: [{ reference: 'Practitioner/123' }] }],
      contentType: 'application/json-patch+json',
    });
    expect(answer.status).toBe(404);
  });

  routesTest.it('Patch resource wrong content type', async () => {
    expect((await request('PATCH', `Patient/${patientId}`, { raw: 'hello', contentType: 'text/plain' })).status).toBe(
      400
    );
  });

  routesTest.it('Patch resource invalid result', async () => {
    const answer = await request('PATCH', `Patient/${patientId}`, {
      body: [{ op: 'remove', path: '/resourceType' }],
      contentType: 'application/json-patch+json',
    });
    expect(answer.status).toBe(400);
  });

  routesTest.it('Patch resource success', async () => {
    const answer = await request('PATCH', `Patient/${patientId}`, {
      body: [{ op: 'add', path: '/generalPractitioner', value: [{ reference: 'Practitioner/123' }] }],
      contentType: 'application/json-patch+json',
    });
    expect(answer.status).toBe(200);
  });

  routesTest.it('FHIRPath Patch resource success', async () => {
    const answer = await request('PATCH', `Patient/${patientId}`, {
      contentType: 'application/fhir+json',
      body: {
        resourceType: 'Parameters',
        parameter: [
          {
            name: 'operation',
            part: [
              { name: 'type', valueCode: 'add' },
              { name: 'path', valueString: `Patient.name.where(family = 'Smith')` },
              { name: 'name', valueString: 'given' },
              { name: 'value', valueString: 'Jan' },
            ],
          },
        ],
      } satisfies Parameters,
    });
    expect(answer.status).toBe(200);
    const read = await request<Patient>('GET', `Patient/${patientId}`);
    expect(read.status).toBe(200);
    expect(read.json.name?.[0]?.given).toEqual(['Alice', 'Jan']);
  });

  // The `On writer` / `On reader` variants differ only in the database pool Medplum uses; the writer ones are ported.
  routesTest.it('Search [writer]', async () => {
    expect((await request('GET', 'Patient')).status).toBe(200);
  });

  routesTest.it('Search by POST [writer]', async () => {
    const answer = await request<Bundle>('POST', 'Patient/_search', {
      raw: '',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(answer.status).toBe(200);
    expect(answer.json.type).toBe('searchset');
    expect(answer.json.entry?.length).toBeGreaterThan(0);
  });

  routesTest.it('Search by POST with multiple includes [writer]', async () => {
    const answer = await request<Bundle>('POST', 'Patient/_search', {
      raw: '_include=Patient:general-practitioner&_include=Patient:organization',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(answer.status).toBe(200);
    expect(answer.json.type).toBe('searchset');
    expect(answer.json.entry?.length).toBeGreaterThan(0);
  });

  routesTest.it(
    'Search multiple resource types with _type [writer]',
    { seedBound: SEED_BOUND.ownProject },
    async () => {
      // A project with no Patients or Observations of its own yet, as `createTestProject` makes.
      const seed = buildSeed();
      seed.entry = seed.entry?.filter((entry) => entry.resource?.resourceType !== 'Patient');
      const fresh = await startTarget({ seed });
      try {
        const auth = basic(fresh.client.id, fresh.client.secret);
        const post = async (resource: Resource) => {
          const response = await fetch(`${fresh.baseUrl}fhir/R4/${resource.resourceType}`, {
            method: 'POST',
            headers: { Authorization: auth, 'Content-Type': 'application/json' },
            body: JSON.stringify(resource),
          });
          expect(response.status).toBe(201);
          return (await response.json()) as Resource;
        };
        const patient = await post({ resourceType: 'Patient' });
        const observation = await post({
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'test' },
          subject: { reference: `Patient/${patient.id}` },
        });
        for (const path of ['fhir/R4?_type=Patient,Observation', 'fhir/R4/?_type=Patient,Observation']) {
          const response = await fetch(`${fresh.baseUrl}${path}`, { headers: { Authorization: auth } });
          expect(response.status).toBe(200);
          const bundle = (await response.json()) as Bundle;
          expect(bundle.entry).toHaveLength(2);
          const found = (bundle.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
          expect(found).toContain(`Patient/${patient.id}`);
          expect(found).toContain(`Observation/${observation.id}`);
        }
      } finally {
        await fresh.stop();
      }
    }
  );

  routesTest.it('Search invalid resource', async () => {
    expect((await request('GET', 'Patientx')).status).toBe(400);
  });

  routesTest.it('Search invalid search parameter', async () => {
    const answer = await request('GET', 'ServiceRequest?basedOn=ServiceRequest/123');
    expect(answer.status).toBe(400);
    expect(issue(answer)?.details?.text).toBe('Unknown search parameter: basedOn');
  });

  routesTest.it('ProjectMembership with null access policy', async () => {
    // The seed's admin client reads a plain member's membership; the member itself may neither read nor change it.
    const read = await request<ProjectMembership>('GET', `ProjectMembership/${otherMember.membershipId}`);
    expect(read.status).toBe(200);
    const membership = read.json;
    expect(
      (await request('GET', `ProjectMembership/${otherMember.membershipId}`, { auth: otherMember.auth })).status
    ).toBe(403);
    const write = await request('PUT', `ProjectMembership/${otherMember.membershipId}`, {
      auth: otherMember.auth,
      body: { ...membership, accessPolicy: undefined },
    });
    expect(write.status).toBe(403);
  });

  routesTest.it('Set accounts on create', async () => {
    const account = await create<Organization>({ resourceType: 'Organization' }, member.auth);
    const answer = await request<Questionnaire>('POST', 'Questionnaire', {
      auth: member.auth,
      headers: EXTENDED,
      body: {
        resourceType: 'Questionnaire',
        meta: { accounts: [{ reference: `Organization/${account.id}` }] },
        title: 'Questionnaire A.1',
        status: 'active',
        item: [
          {
            linkId: '1',
            text: 'How would you rate your overall experience?',
            type: 'choice',
            answerOption: [{ valueCoding: { system: 'http://example.org/rating', code: '5', display: 'Excellent' } }],
          },
        ],
      } satisfies Questionnaire,
    });
    expect(answer.status).toBe(201);
    expect(answer.json.meta?.accounts).toEqual([{ reference: `Organization/${account.id}` }]);
    // The project, and the account organization.
    const compartments = (answer.json.meta?.compartment ?? []).map((c) => c.reference);
    expect(compartments).toHaveLength(2);
    expect(compartments).toContain(`Project/${PROJECT_ID}`);
    expect(compartments).toContain(`Organization/${account.id}`);
  });
});

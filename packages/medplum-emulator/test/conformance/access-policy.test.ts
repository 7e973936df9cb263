import { randomUUID } from 'node:crypto';
import type {
  AccessPolicy,
  AccessPolicyResource,
  Bundle,
  Device,
  Observation,
  OperationOutcome,
  Patient,
  Project,
  ProjectMembership,
  ProjectMembershipAccessParameter,
  Quantity,
  Questionnaire,
  Resource,
  ServiceRequest,
  StructureDefinition,
  Task,
  User,
} from '@medplum/fhirtypes';
import { afterAll, beforeAll, expect } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { basic, startTarget } from '../contract/target.ts';
import {
  adminClient,
  alice,
  bob,
  buildSeed,
  PROJECT_ID,
  provisionedClient,
  provisionedLike,
} from '../fixtures/seed.ts';
import { mirrorOf } from './mirror.ts';

const medplum = mirrorOf(
  'packages/server/src/fhir/accesspolicy.int.test.ts',
  '92f124a68613c287a4afb4bb5c58183c1a21fe60'
);

const meta = { project: PROJECT_ID };
const EXTENDED = { 'X-Medplum': 'extended' };

/**
 * Members of the seed project, each a confidential client (Basic auth) whose membership carries the policies a case
 * needs, as Medplum's tests give a Repository or a ProjectMembership an AccessPolicy.
 */
interface Member {
  auth: string;
  clientId: string;
  membershipId: string;
}

interface MemberOptions {
  policy?: Omit<AccessPolicy, 'resourceType'>;
  access?: { policy: Omit<AccessPolicy, 'resourceType'>; parameter?: ProjectMembershipAccessParameter[] }[];
  /** Reuse one stored policy for several access entries. */
  sharedAccess?: { policyId: string; parameter?: ProjectMembershipAccessParameter[] }[];
  /** `access: []` on the membership. */
  emptyAccess?: boolean;
  admin?: boolean;
  profile?: ProjectMembership['profile'];
}

function storePolicy(seed: Resource[], policy: Omit<AccessPolicy, 'resourceType'>): string {
  const id = randomUUID();
  seed.push({ ...policy, resourceType: 'AccessPolicy', id, meta } as AccessPolicy);
  return id;
}

function member(seed: Resource[], options: MemberOptions = {}): Member {
  const clientId = randomUUID();
  const secret = randomUUID();
  const membershipId = randomUUID();
  const access = [
    ...(options.access ?? []).map((entry) => ({
      policy: { reference: `AccessPolicy/${storePolicy(seed, entry.policy)}` },
      ...(entry.parameter ? { parameter: entry.parameter } : {}),
    })),
    ...(options.sharedAccess ?? []).map((entry) => ({
      policy: { reference: `AccessPolicy/${entry.policyId}` },
      ...(entry.parameter ? { parameter: entry.parameter } : {}),
    })),
  ];
  seed.push({ resourceType: 'ClientApplication', id: clientId, meta, name: 'Access policy test client', secret }, {
    resourceType: 'ProjectMembership',
    id: membershipId,
    meta,
    project: { reference: `Project/${PROJECT_ID}` },
    user: { reference: `ClientApplication/${clientId}` },
    profile: options.profile ?? { reference: `ClientApplication/${clientId}` },
    ...(options.policy ? { accessPolicy: { reference: `AccessPolicy/${storePolicy(seed, options.policy)}` } } : {}),
    ...(access.length || options.emptyAccess ? { access } : {}),
    ...(options.admin ? { admin: true } : {}),
  } satisfies ProjectMembership);
  return provisionedClient({ clientId, secret, membershipId });
}

// --- The members of every case, seeded once.
const seed: Resource[] = [];
const org = () => `Organization/${randomUUID()}`;

const emptyPolicy = member(seed, { policy: {} });
const readonlyPatient = member(seed, { policy: { resource: [{ resourceType: 'Patient', readonly: true }] } });
const serviceRequestPolicy: AccessPolicyResource[] = [
  { resourceType: 'ServiceRequest', criteria: 'ServiceRequest?status=active' },
  { resourceType: 'ServiceRequest', criteria: 'ServiceRequest?status=completed', readonly: true },
];
const activeServiceRequests = member(seed, { policy: { resource: serviceRequestPolicy } });

const compartmentOrg = org();
const compartmentMember = member(seed, {
  policy: {
    compartment: { reference: compartmentOrg },
    resource: [{ resourceType: 'Patient', compartment: { reference: compartmentOrg } }],
  },
});

const overrideOrg = org();
const mergeMember = member(seed, {
  policy: {
    compartment: { reference: overrideOrg },
    resource: [
      { resourceType: 'Observation', criteria: `Observation?_compartment=${overrideOrg}` },
      { resourceType: 'Patient' },
    ],
  },
});

function orgCompartmentMember(account: string, criteria: boolean): Member {
  return member(seed, {
    policy: {
      compartment: { reference: account },
      resource: [
        criteria
          ? { resourceType: 'Patient', criteria: `Patient?_compartment=${account}` }
          : { resourceType: 'Patient', compartment: { reference: account } },
      ],
    },
  });
}
const restrictOrg1 = org();
const restrictOrg2 = org();
const restrictCompartment1 = orgCompartmentMember(restrictOrg1, false);
const restrictCompartment2 = orgCompartmentMember(restrictOrg2, false);
const criteriaOrg1 = org();
const criteriaOrg2 = org();
const restrictCriteria1 = orgCompartmentMember(criteriaOrg1, true);
const restrictCriteria2 = orgCompartmentMember(criteriaOrg2, true);

const keepOrg1 = org();
const keepOrg2 = org();
const keepAccount1 = member(seed, {
  policy: { compartment: { reference: keepOrg1 }, resource: [{ resourceType: 'Patient' }] },
});
const keepAccount2 = member(seed, {
  policy: { compartment: { reference: keepOrg2 }, resource: [{ resourceType: 'Patient' }] },
});

const clientAccount = org();
const accountClient = member(seed, {
  policy: {
    compartment: { reference: clientAccount },
    resource: [
      { resourceType: 'Observation', compartment: { reference: clientAccount } },
      { resourceType: 'Patient', compartment: { reference: clientAccount } },
    ],
  },
});
const patientOnlyClient = member(seed, { policy: { resource: [{ resourceType: 'Patient' }] } });

const readonlyName = member(seed, { policy: { resource: [{ resourceType: 'Patient', readonlyFields: ['name'] }] } });
const readonlyIdentifier = member(seed, {
  policy: { resource: [{ resourceType: 'Patient', readonlyFields: ['identifier'] }] },
});
const hiddenName = member(seed, { policy: { resource: [{ resourceType: 'Patient', hiddenFields: ['name'] }] } });
const hiddenSubjectDisplay = member(seed, {
  policy: { resource: [{ resourceType: 'ServiceRequest', hiddenFields: ['subject.display'] }] },
});
const hiddenFamily = member(seed, {
  policy: { resource: [{ resourceType: 'Patient', hiddenFields: ['name.family'] }] },
});
const hiddenQuantityValue = member(seed, {
  policy: { resource: [{ resourceType: 'Observation', hiddenFields: ['valueQuantity.value'] }] },
});
const hiddenMeta = member(seed, { policy: { resource: [{ resourceType: 'Patient', hiddenFields: ['meta'] }] } });

const questionnaireIdentifier = randomUUID();
const identifierCriteria = member(seed, {
  policy: {
    resource: [
      {
        resourceType: 'Questionnaire',
        criteria: `Questionnaire?identifier=https://example.com|${questionnaireIdentifier}`,
      },
    ],
  },
});

const writeConstraints = member(seed, {
  policy: {
    resource: [
      {
        resourceType: 'Observation',
        writeConstraint: [
          { language: 'text/fhirpath', expression: `%before.exists() implies %before.status != 'final'` },
          { language: 'text/fhirpath', expression: `status = 'final' implies subject.exists()` },
        ],
      },
    ],
  },
});

const overlapping = member(seed, {
  policy: {
    resource: [
      { resourceType: 'ServiceRequest', readonly: true },
      { resourceType: 'ServiceRequest', criteria: 'ServiceRequest?status=active', readonly: false },
    ],
  },
});

const compoundPatients = [randomUUID(), randomUUID(), randomUUID()];
for (const id of compoundPatients) seed.push({ resourceType: 'Patient', id, meta });
provisionedLike(compoundPatients);
const patientByIdPolicy = storePolicy(seed, {
  resource: [{ resourceType: 'Patient', criteria: 'Patient?_id=%patient.id' }],
});
const compound = member(seed, {
  profile: { reference: `Practitioner/${randomUUID()}` },
  sharedAccess: compoundPatients.slice(0, 2).map((id) => ({
    policyId: patientByIdPolicy,
    parameter: [{ name: 'patient', valueReference: { reference: `Patient/${id}` } }],
  })),
});

const stringParameters = member(seed, {
  profile: { reference: `Practitioner/${randomUUID()}` },
  access: [
    {
      policy: { resource: [{ resourceType: 'Task', criteria: 'Task?status=%status' }] },
      parameter: [{ name: 'status', valueString: 'accepted' }],
    },
  ],
});

const adminWithPolicy = member(seed, { admin: true, policy: { resource: [{ resourceType: 'Patient' }] } });
const protectedFieldsAdmin = member(seed, { admin: true });
const syntheticPolicyAdmin = member(seed, {
  admin: true,
  policy: { resource: [{ resourceType: '*' }, { resourceType: 'Project' }, { resourceType: 'ProjectMembership' }] },
});
const accountAdmin = member(seed, { admin: true });
const nonAdmin = member(seed);

const emptyResourceList = member(seed, { policy: { resource: [] } });
const emptyAccessArray = member(seed, { emptyAccess: true });
const wildcardCompartment = `Patient/${randomUUID()}`;
const wildcardCriteria = member(seed, {
  policy: { resource: [{ resourceType: '*', criteria: `*?_compartment=${wildcardCompartment}` }] },
});
const limitedInteractions = member(seed, {
  policy: { resource: [{ resourceType: 'Condition', interaction: ['create', 'read'] }] },
});
const missingPolicyMember = (() => {
  const clientId = randomUUID();
  const secret = randomUUID();
  seed.push(
    { resourceType: 'ClientApplication', id: clientId, meta, name: 'Missing policy', secret },
    {
      resourceType: 'ProjectMembership',
      id: randomUUID(),
      meta,
      project: { reference: `Project/${PROJECT_ID}` },
      user: { reference: `ClientApplication/${clientId}` },
      profile: { reference: `ClientApplication/${clientId}` },
      accessPolicy: { reference: `AccessPolicy/${randomUUID()}` },
    }
  );
  return provisionedClient({ clientId, secret });
})();
const deviceIdentifier = 'http://example.com/device-id';
const combinedDevices = member(seed, {
  profile: { reference: `Practitioner/${randomUUID()}` },
  access: [
    { policy: { resource: [{ resourceType: 'Device', interaction: ['read'] }] } },
    {
      policy: {
        resource: [
          { resourceType: 'Device', criteria: 'Device?identifier=%identifier', interaction: ['search', 'read'] },
        ],
      },
      parameter: [{ name: 'identifier', valueString: `${deviceIdentifier}|` }],
    },
  ],
});

// A project StructureDefinition: the emulator stores no base definitions (Medplum's live in its shared R4 project).
const structureDefinitionId = randomUUID();
seed.push({
  resourceType: 'StructureDefinition',
  id: structureDefinitionId,
  meta,
  url: `https://example.com/StructureDefinition/${structureDefinitionId}`,
  name: 'ProjectProfile',
  status: 'active',
  kind: 'resource',
  abstract: false,
  type: 'Patient',
  // What Medplum's validator requires of a non-abstract structure (sdf-4, sdf-6).
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
  derivation: 'constraint',
  differential: { element: [{ id: 'Patient', path: 'Patient' }] },
} as StructureDefinition);

// --- HTTP

let target: ContractTarget;
beforeAll(async () => {
  const bundle = buildSeed();
  bundle.entry?.push(...seed.map((resource) => ({ resource })));
  target = await startTarget({ seed: bundle });
});
afterAll(() => target.stop());

interface Answer<T = Record<string, unknown>> {
  status: number;
  json: T;
}

async function call<T = Record<string, unknown>>(
  authorization: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  on: ContractTarget = target
): Promise<Answer<T>> {
  const response = await fetch(`${on.baseUrl}fhir/R4/${path}`, {
    method,
    headers: {
      Authorization: authorization,
      ...(body ? { 'Content-Type': 'application/fhir+json' } : {}),
      ...headers,
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as T };
}

const admin = () => basic(adminClient.id, adminClient.secret);

/** What the system repository does in Medplum's tests: the seed's project-admin client writes the resource. */
async function createAsAdmin<T extends Resource>(resource: T, headers: Record<string, string> = {}): Promise<T> {
  const answer = await call<T>(admin(), 'POST', resource.resourceType, resource, headers);
  if (answer.status !== 201)
    throw new Error(`create ${resource.resourceType}: ${answer.status} ${JSON.stringify(answer.json)}`);
  return answer.json;
}

function expectOutcome(answer: Answer<unknown>, status: number, text: string): void {
  expect(answer.status).toBe(status);
  expect((answer.json as unknown as OperationOutcome).issue?.[0]?.details?.text).toBe(text);
}
const expectForbidden = (answer: Answer<unknown>) => expectOutcome(answer, 403, 'Forbidden');
const expectNotFound = (answer: Answer<unknown>) => expectOutcome(answer, 404, 'Not found');

const alicePatient = (): Patient => ({
  resourceType: 'Patient',
  name: [{ given: ['Alice'], family: 'Smith' }],
  birthDate: '1970-01-01',
});

function serviceRequest(status: ServiceRequest['status']): ServiceRequest {
  return {
    resourceType: 'ServiceRequest',
    intent: 'order',
    subject: { reference: `Patient/${randomUUID()}` },
    code: { text: 'test' },
    status,
  };
}

function expectAccounts(resource: Resource, accounts: string[]): void {
  expect(resource.meta?.account?.reference).toBe(accounts[0]);
  expect(resource.meta?.accounts).toHaveLength(accounts.length);
  for (const account of accounts) expect(resource.meta?.accounts).toContainEqual({ reference: account });
}

function compartmentsOf(resource: Resource): string[] {
  return (resource.meta?.compartment ?? []).map((c) => c.reference as string).sort();
}

medplum.describe(() => {
  medplum.it('Access policy restricting read', async () => {
    const patient = await createAsAdmin(alicePatient());
    expectForbidden(await call(emptyPolicy.auth, 'GET', `Patient/${patient.id}`));
  });

  medplum.it('Access policy restricting search', async () => {
    expectForbidden(await call(emptyPolicy.auth, 'GET', 'Patient'));
  });

  medplum.it('Access policy restricting write', async () => {
    const patient = await createAsAdmin(alicePatient());
    expect((await call(readonlyPatient.auth, 'GET', `Patient/${patient.id}`)).status).toBe(200);
    expectForbidden(await call(readonlyPatient.auth, 'PUT', `Patient/${patient.id}`, patient));
  });

  medplum.it('Access policy restricting write before update', async () => {
    const resource = await createAsAdmin(serviceRequest('completed'));
    expect((await call(activeServiceRequests.auth, 'GET', `ServiceRequest/${resource.id}`)).status).toBe(200);
    expectForbidden(await call(activeServiceRequests.auth, 'PUT', `ServiceRequest/${resource.id}`, resource));
  });

  medplum.it('Access policy restricting write after update', async () => {
    const resource = await createAsAdmin(serviceRequest('active'));
    expect((await call(activeServiceRequests.auth, 'GET', `ServiceRequest/${resource.id}`)).status).toBe(200);
    expectForbidden(
      await call(activeServiceRequests.auth, 'PUT', `ServiceRequest/${resource.id}`, {
        ...resource,
        status: 'completed',
      })
    );
  });

  medplum.it('Access policy restricting delete', async () => {
    const patient = await createAsAdmin(alicePatient());
    expect((await call(readonlyPatient.auth, 'GET', `Patient/${patient.id}`)).status).toBe(200);
    expectForbidden(await call(readonlyPatient.auth, 'DELETE', `Patient/${patient.id}`));
  });

  medplum.it('Access policy set compartment', async () => {
    const created = await call<Patient>(compartmentMember.auth, 'POST', 'Patient', alicePatient(), EXTENDED);
    expect(created.status).toBe(201);
    expectAccounts(created.json, [compartmentOrg]);
    const read = await call<Patient>(compartmentMember.auth, 'GET', `Patient/${created.json.id}`, undefined, EXTENDED);
    expectAccounts(read.json, [compartmentOrg]);
  });

  medplum.it('Access policy blocks account override', async () => {
    const created = await call<Patient>(
      compartmentMember.auth,
      'POST',
      'Patient',
      { ...alicePatient(), meta: { account: { reference: org() } } },
      EXTENDED
    );
    expect(created.status).toBe(201);
    expectAccounts(created.json, [compartmentOrg]);
    const read = await call<Patient>(compartmentMember.auth, 'GET', `Patient/${created.json.id}`, undefined, EXTENDED);
    expectAccounts(read.json, [compartmentOrg]);
  });

  medplum.it('Merge access policy account override and resource accounts', async () => {
    const observationBody: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'Eye color' },
      valueCodeableConcept: { text: 'Hazel' },
    };
    const observation = await call<Observation>(mergeMember.auth, 'POST', 'Observation', observationBody, EXTENDED);
    expect(observation.status).toBe(201);
    expectAccounts(observation.json, [overrideOrg]);
    // Over HTTP the resource is also in its project's compartment.
    expect(compartmentsOf(observation.json)).toEqual([overrideOrg, `Project/${PROJECT_ID}`].sort());
    const readObservation = await call<Observation>(
      mergeMember.auth,
      'GET',
      `Observation/${observation.json.id}`,
      undefined,
      EXTENDED
    );
    expectAccounts(readObservation.json, [overrideOrg]);
    expect(compartmentsOf(readObservation.json)).toEqual([overrideOrg, `Project/${PROJECT_ID}`].sort());

    // A project admin (in extended mode) may put a Patient in an account.
    const orgReference = org();
    const patient = await createAsAdmin<Patient>(
      { resourceType: 'Patient', meta: { accounts: [{ reference: orgReference }] } },
      EXTENDED
    );
    const patientReference = `Patient/${patient.id}`;
    const observation2 = await call<Observation>(
      mergeMember.auth,
      'POST',
      'Observation',
      { ...observation.json, subject: { reference: patientReference } },
      EXTENDED
    );
    expect(observation2.status).toBe(201);
    expectAccounts(observation2.json, [overrideOrg, orgReference]);
    const expected = [overrideOrg, patientReference, orgReference, `Project/${PROJECT_ID}`].sort();
    expect(compartmentsOf(observation2.json)).toEqual(expected);
    const readObservation2 = await call<Observation>(
      mergeMember.auth,
      'GET',
      `Observation/${observation2.json.id}`,
      undefined,
      EXTENDED
    );
    expectAccounts(readObservation2.json, [overrideOrg, orgReference]);
    expect(compartmentsOf(readObservation2.json)).toEqual(expected);
  });

  medplum.it('Access policy restrict compartment', async () => {
    const patient1 = await call<Patient>(restrictCompartment1.auth, 'POST', 'Patient', alicePatient(), EXTENDED);
    expect(patient1.json.meta?.account?.reference).toBe(restrictOrg1);
    const read1 = await call<Patient>(
      restrictCompartment1.auth,
      'GET',
      `Patient/${patient1.json.id}`,
      undefined,
      EXTENDED
    );
    expect(read1.json.meta?.account).toBeDefined();

    const patient2 = await call<Patient>(restrictCompartment2.auth, 'POST', 'Patient', alicePatient(), EXTENDED);
    expectAccounts(patient2.json, [restrictOrg2]);
    const read2 = await call<Patient>(
      restrictCompartment2.auth,
      'GET',
      `Patient/${patient2.json.id}`,
      undefined,
      EXTENDED
    );
    expectAccounts(read2.json, [restrictOrg2]);

    expectNotFound(await call(restrictCompartment2.auth, 'GET', `Patient/${patient1.json.id}`));
    expectNotFound(await call(restrictCompartment1.auth, 'GET', `Patient/${patient2.json.id}`));
  });

  medplum.it("Access policy won't override existing account", async () => {
    const created = await call<Patient>(keepAccount1.auth, 'POST', 'Patient', alicePatient(), EXTENDED);
    const updated = await call<Patient>(
      keepAccount2.auth,
      'PUT',
      `Patient/${created.json.id}`,
      { ...created.json, gender: 'female' },
      EXTENDED
    );
    expect(updated.status).toBe(200);
    expectAccounts(updated.json, [keepOrg1]);
  });

  medplum.it('Access policy restrict criteria', async () => {
    const patient1 = await call<Patient>(restrictCriteria1.auth, 'POST', 'Patient', alicePatient(), EXTENDED);
    expectAccounts(patient1.json, [criteriaOrg1]);
    const read1 = await call<Patient>(
      restrictCriteria1.auth,
      'GET',
      `Patient/${patient1.json.id}`,
      undefined,
      EXTENDED
    );
    expectAccounts(read1.json, [criteriaOrg1]);

    const patient2 = await call<Patient>(restrictCriteria2.auth, 'POST', 'Patient', alicePatient(), EXTENDED);
    expectAccounts(patient2.json, [criteriaOrg2]);
    const read2 = await call<Patient>(
      restrictCriteria2.auth,
      'GET',
      `Patient/${patient2.json.id}`,
      undefined,
      EXTENDED
    );
    expectAccounts(read2.json, [criteriaOrg2]);

    expectNotFound(await call(restrictCriteria2.auth, 'GET', `Patient/${patient1.json.id}`));
    expectNotFound(await call(restrictCriteria1.auth, 'GET', `Patient/${patient2.json.id}`));
  });

  medplum.it('Multiple entries per resource type', async () => {
    const created = await call<ServiceRequest>(
      activeServiceRequests.auth,
      'POST',
      'ServiceRequest',
      serviceRequest('active')
    );
    expect(created.status).toBe(201);
    const updated = await call<ServiceRequest>(activeServiceRequests.auth, 'PUT', `ServiceRequest/${created.json.id}`, {
      ...created.json,
      orderDetail: [{ text: 'test' }],
    });
    expect(updated.status).toBe(200);
    expectForbidden(
      await call(activeServiceRequests.auth, 'PUT', `ServiceRequest/${created.json.id}`, {
        ...updated.json,
        status: 'completed',
      })
    );
  });

  medplum.it('ClientApplication with account restriction', async () => {
    const patient = await call<Patient>(accountClient.auth, 'POST', 'Patient', {
      resourceType: 'Patient',
      name: [{ given: ['Al'], family: 'Bundy' }],
      birthDate: '1975-12-12',
    });
    expect(patient.status).toBe(201);
    const patientCheck = await call<Patient>(admin(), 'GET', `Patient/${patient.json.id}`, undefined, EXTENDED);
    expectAccounts(patientCheck.json, [clientAccount]);

    const observation = await call<Observation>(accountClient.auth, 'POST', 'Observation', {
      resourceType: 'Observation',
      status: 'final',
      subject: { reference: `Patient/${patient.json.id}` },
      code: { text: 'test' },
      valueString: 'positive',
    });
    expect(observation.status).toBe(201);
    const observationCheck = await call<Observation>(
      admin(),
      'GET',
      `Observation/${observation.json.id}`,
      undefined,
      EXTENDED
    );
    expectAccounts(observationCheck.json, [clientAccount]);

    const patient2 = await createAsAdmin<Patient>({
      resourceType: 'Patient',
      name: [{ given: ['Peggy'], family: 'Bundy' }],
      birthDate: '1975-11-11',
    });
    expectNotFound(await call(accountClient.auth, 'GET', `Patient/${patient2.id}`));

    const observation2 = await createAsAdmin<Observation>({
      resourceType: 'Observation',
      status: 'final',
      subject: { reference: `Patient/${patient2.id}` },
      code: { text: 'test' },
      valueString: 'positive',
    });
    expectNotFound(await call(accountClient.auth, 'GET', `Observation/${observation2.id}`));
  });

  medplum.it('ClientApplication with access policy', async () => {
    const patient = await call<Patient>(patientOnlyClient.auth, 'POST', 'Patient', {
      resourceType: 'Patient',
      name: [{ given: ['Al'], family: 'Bundy' }],
      birthDate: '1975-12-12',
    });
    expect(patient.status).toBe(201);
    expectForbidden(
      await call(patientOnlyClient.auth, 'POST', 'Observation', {
        resourceType: 'Observation',
        status: 'final',
        subject: { reference: `Patient/${patient.json.id}` },
        code: { text: 'test' },
        valueString: 'positive',
      })
    );
  });

  medplum.it('Readonly fields on write', async () => {
    const patient = await createAsAdmin(alicePatient());
    const read = await call<Patient>(readonlyName.auth, 'GET', `Patient/${patient.id}`);
    expect(read.json).toMatchObject(alicePatient());
    const written = await call<Patient>(readonlyName.auth, 'PUT', `Patient/${patient.id}`, {
      ...read.json,
      active: true,
      name: [{ given: ['Morty'], family: 'Smith' }],
    });
    expect(written.status).toBe(200);
    expect(written.json).toMatchObject({ ...alicePatient(), active: true });
  });

  medplum.it('Try to create with readonly property', async () => {
    const created = await call<Patient>(readonlyIdentifier.auth, 'POST', 'Patient', {
      resourceType: 'Patient',
      name: [{ given: ['Identifier'], family: 'Test' }],
      identifier: [{ system: 'https://example.com/', value: randomUUID() }],
    });
    expect(created.status).toBe(201);
    expect(created.json.identifier).toBeUndefined();
  });

  medplum.it('Try to add readonly property', async () => {
    const value = randomUUID();
    const patient1 = await createAsAdmin<Patient>({
      resourceType: 'Patient',
      name: [{ given: ['Identifier'], family: 'Test' }],
    });
    const patient2 = await call<Patient>(readonlyIdentifier.auth, 'PUT', `Patient/${patient1.id}`, {
      ...patient1,
      identifier: [{ system: 'https://example.com/', value }],
    });
    expect(patient2.status).toBe(200);
    expect(patient2.json.identifier).toBeUndefined();
    const bundle2 = await call<Bundle>(readonlyIdentifier.auth, 'GET', `Patient?identifier=${value}`);
    expect(bundle2.json.entry ?? []).toHaveLength(0);
  });

  medplum.it('Try to remove readonly property', async () => {
    const value = randomUUID();
    const patient1 = await createAsAdmin<Patient>({
      resourceType: 'Patient',
      name: [{ given: ['Identifier'], family: 'Test' }],
      identifier: [{ system: 'https://example.com/', value }],
    });
    const bundle1 = await call<Bundle>(admin(), 'GET', `Patient?identifier=${value}`);
    expect(bundle1.json.entry).toHaveLength(1);

    const { identifier, ...rest } = patient1;
    expect(identifier).toBeDefined();
    const patient2 = await call<Patient>(readonlyIdentifier.auth, 'PUT', `Patient/${patient1.id}`, rest);
    expect(patient2.status).toBe(200);
    expect(patient2.json.identifier?.[0]?.value).toBe(value);
    const bundle2 = await call<Bundle>(readonlyIdentifier.auth, 'GET', `Patient?identifier=${value}`);
    expect(bundle2.json.entry).toHaveLength(1);
  });

  medplum.it('Hidden fields on read', async () => {
    const patient = await createAsAdmin(alicePatient());
    const read = await call<Patient>(hiddenName.auth, 'GET', `Patient/${patient.id}`);
    expect(read.json).toMatchObject({ resourceType: 'Patient', birthDate: '1970-01-01' });
    expect(read.json.name).toBeUndefined();
    const history = await call<Bundle<Patient>>(hiddenName.auth, 'GET', `Patient/${patient.id}/_history`);
    expect(history.json).toMatchObject({
      resourceType: 'Bundle',
      type: 'history',
      entry: [{ resource: { resourceType: 'Patient', birthDate: '1970-01-01' } }],
    });
    expect(history.json.entry?.[0]?.resource?.name).toBeUndefined();
  });

  medplum.it('Nested hidden fields on read', async () => {
    const resource = await createAsAdmin<ServiceRequest>({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      code: { text: 'test' },
      subject: { reference: `Patient/${randomUUID()}`, display: 'Alice Smith' },
    });
    const read = await call<ServiceRequest>(hiddenSubjectDisplay.auth, 'GET', `ServiceRequest/${resource.id}`);
    expect(read.json).toMatchObject({ resourceType: 'ServiceRequest', code: { text: 'test' } });
    expect(read.json.subject?.reference).toBeDefined();
    expect(read.json.subject?.display).toBeUndefined();
    const history = await call<Bundle<ServiceRequest>>(
      hiddenSubjectDisplay.auth,
      'GET',
      `ServiceRequest/${resource.id}/_history`
    );
    expect(history.json).toMatchObject({
      resourceType: 'Bundle',
      type: 'history',
      entry: [{ resource: { resourceType: 'ServiceRequest', code: { text: 'test' } } }],
    });
    expect(history.json.entry?.[0]?.resource?.subject?.reference).toBeDefined();
    expect(history.json.entry?.[0]?.resource?.subject?.display).toBeUndefined();
  });

  medplum.it('Nested hidden fields on array element', async () => {
    const patient = await createAsAdmin<Patient>({
      resourceType: 'Patient',
      name: [{ given: ['Alice'], family: 'Smith' }],
    });
    const read = await call<Patient>(hiddenFamily.auth, 'GET', `Patient/${patient.id}`);
    expect(read.json).toMatchObject({ resourceType: 'Patient', name: [{ given: ['Alice'] }] });
    expect(read.json.name?.[0]?.given).toEqual(['Alice']);
    expect(read.json.name?.[0]?.family).toBeUndefined();
  });

  medplum.it('Hidden fields on possible missing values', async () => {
    const obs1 = await createAsAdmin<Observation>({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'test' },
      valueQuantity: { value: 123, unit: 'mmHg' },
    });
    const obs2 = await createAsAdmin<Observation>({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'test' },
      valueString: 'test',
    });
    const read1 = await call<Observation>(hiddenQuantityValue.auth, 'GET', `Observation/${obs1.id}`);
    expect(read1.json).toMatchObject({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'test' },
      valueQuantity: { unit: 'mmHg' },
    });
    expect(read1.json.valueQuantity?.value).toBeUndefined();
    const read2 = await call<Observation>(hiddenQuantityValue.auth, 'GET', `Observation/${obs2.id}`);
    expect(read2.json).toMatchObject({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'test' },
      valueString: 'test',
    });
    expect(read2.json.valueQuantity).toBeUndefined();
  });

  medplum.it('Hide nonexistent field', async () => {
    const resource = await createAsAdmin<ServiceRequest>({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      code: { text: 'test' },
      subject: { reference: `Patient/${randomUUID()}` },
    });
    const read = await call<ServiceRequest>(hiddenSubjectDisplay.auth, 'GET', `ServiceRequest/${resource.id}`);
    expect(read.json).toMatchObject({ resourceType: 'ServiceRequest', code: { text: 'test' } });
    expect(read.json.subject?.reference).toBeDefined();
    expect(read.json.subject?.display).toBeUndefined();
    const history = await call<Bundle<ServiceRequest>>(
      hiddenSubjectDisplay.auth,
      'GET',
      `ServiceRequest/${resource.id}/_history`
    );
    expect(history.json).toMatchObject({
      resourceType: 'Bundle',
      type: 'history',
      entry: [{ resource: { resourceType: 'ServiceRequest', code: { text: 'test' } } }],
    });
    expect(history.json.entry?.[0]?.resource?.subject?.reference).toBeDefined();
    expect(history.json.entry?.[0]?.resource?.subject?.display).toBeUndefined();
  });

  medplum.it('Hidden meta field', async () => {
    const patient = await createAsAdmin(alicePatient());
    const read = await call<Patient>(hiddenMeta.auth, 'GET', `Patient/${patient.id}`);
    expect(read.json).toMatchObject({ resourceType: 'Patient', birthDate: '1970-01-01' });
    expect(read.json.meta).toBeUndefined();
    const history = await call<Bundle<Patient>>(hiddenMeta.auth, 'GET', `Patient/${patient.id}/_history`);
    expect(history.json).toMatchObject({
      resourceType: 'Bundle',
      type: 'history',
      entry: [{ resource: { resourceType: 'Patient', birthDate: '1970-01-01' } }],
    });
    expect(history.json.entry?.[0]?.resource?.meta).toBeUndefined();
  });

  medplum.it('Identifier criteria', async () => {
    const questionnaire = await createAsAdmin<Questionnaire>({
      resourceType: 'Questionnaire',
      status: 'active',
      identifier: [{ system: 'https://example.com', value: questionnaireIdentifier }],
    });
    const read = await call<Questionnaire>(identifierCriteria.auth, 'GET', `Questionnaire/${questionnaire.id}`);
    expect(read.json.id).toBe(questionnaire.id);
    const history = await call<Bundle>(identifierCriteria.auth, 'GET', `Questionnaire/${questionnaire.id}/_history`);
    expect(history.json.entry).toHaveLength(1);
    expect(history.json.entry?.[0]?.resource?.id).toBe(questionnaire.id);
  });

  medplum.it('Pre- and post-write criteria', async () => {
    const created = await call<Observation>(writeConstraints.auth, 'POST', 'Observation', {
      resourceType: 'Observation',
      status: 'preliminary',
      code: { coding: [{ system: 'http://loinc.org', code: '11111-1' }] },
    });
    expect(created.status).toBe(201);
    const resource = created.json;
    expect(resource.status).toBe('preliminary');
    const put = (body: Observation) =>
      call<Observation>(writeConstraints.auth, 'PUT', `Observation/${resource.id}`, body);

    resource.status = 'final';
    expectForbidden(await put(resource));
    resource.subject = { reference: 'Patient/test' };
    expect((await put(resource)).status).toBe(200);
    resource.status = 'cancelled';
    expectForbidden(await put(resource));
  });

  medplum.it('Overlapping resource policies', async () => {
    const created = await call<ServiceRequest>(overlapping.auth, 'POST', 'ServiceRequest', serviceRequest('active'));
    expect(created.status).toBe(201);
    const updated = await call<ServiceRequest>(overlapping.auth, 'PUT', `ServiceRequest/${created.json.id}`, {
      ...created.json,
      priority: 'stat',
    });
    expect(updated.status).toBe(200);
    expectForbidden(
      await call(overlapping.auth, 'PUT', `ServiceRequest/${created.json.id}`, { ...updated.json, status: 'completed' })
    );
    const completed = await call<ServiceRequest>(admin(), 'PUT', `ServiceRequest/${created.json.id}`, {
      ...updated.json,
      status: 'completed',
    });
    expect(completed.status).toBe(200);
    const read = await call<ServiceRequest>(overlapping.auth, 'GET', `ServiceRequest/${created.json.id}`);
    expect(read.status).toBe(200);
    expectForbidden(
      await call(overlapping.auth, 'PUT', `ServiceRequest/${created.json.id}`, { ...read.json, priority: 'routine' })
    );
  });

  medplum.it('Compound parameterized access policy', async () => {
    // The three Patients are seeded: the membership's parameters name their ids.
    const [p1, p2, p3] = compoundPatients;
    expect((await call(compound.auth, 'GET', `Patient/${p1}`)).status).toBe(200);
    expect((await call(compound.auth, 'GET', `Patient/${p2}`)).status).toBe(200);
    expectNotFound(await call(compound.auth, 'GET', `Patient/${p3}`));
  });

  medplum.it('String parameters', async () => {
    const t1 = await createAsAdmin<Task>({ resourceType: 'Task', status: 'accepted', intent: 'order' });
    const t2 = await createAsAdmin<Task>({ resourceType: 'Task', status: 'completed', intent: 'order' });
    expect((await call(stringParameters.auth, 'GET', `Task/${t1.id}`)).status).toBe(200);
    expectNotFound(await call(stringParameters.auth, 'GET', `Task/${t2.id}`));
  });

  medplum.it('Project admin with access policy', { seedBound: SEED_BOUND.users }, async () => {
    const patient = await createAsAdmin<Patient>({ resourceType: 'Patient' });
    const task = await createAsAdmin<Task>({ resourceType: 'Task', status: 'accepted', intent: 'order' });
    const auth = adminWithPolicy.auth;

    expect((await call<Patient>(auth, 'GET', `Patient/${patient.id}`)).json.id).toBe(patient.id);
    expect((await call<Project>(auth, 'GET', `Project/${PROJECT_ID}`)).json.id).toBe(PROJECT_ID);
    const check3 = await call<ProjectMembership>(auth, 'GET', `ProjectMembership/${adminWithPolicy.membershipId}`);
    expect(check3.json.id).toBe(adminWithPolicy.membershipId);
    const check6 = await call<ProjectMembership>(auth, 'PUT', `ProjectMembership/${adminWithPolicy.membershipId}`, {
      ...check3.json,
      externalId: randomUUID(),
    });
    expect(check6.json.id).toBe(check3.json.id);
    expect(check6.json.meta?.versionId).not.toBe(check3.json.meta?.versionId);
    // The project's Users (the seed has two project-scoped ones).
    const users = await call<Bundle<User>>(auth, 'GET', 'User');
    expect((users.json.entry ?? []).map((e) => e.resource?.id).sort()).toEqual([alice.userId, bob.userId].sort());
    expectForbidden(await call(auth, 'GET', `Task/${task.id}`));
  });

  medplum.it('Project admin cannot delete project', async () => {
    expect((await call<Project>(admin(), 'GET', `Project/${PROJECT_ID}`, undefined, EXTENDED)).json.id).toBe(
      PROJECT_ID
    );
    expectForbidden(await call(admin(), 'DELETE', `Project/${PROJECT_ID}`));
  });

  medplum.it('Project admin cannot modify protected fields', async () => {
    await protectedFieldsScenario(protectedFieldsAdmin);
  });

  medplum.it('Project admin cannot override synthetic access policy for admin types', async () => {
    await protectedFieldsScenario(syntheticPolicyAdmin);
  });

  medplum.it('Project admin can modify meta.account', async () => {
    const account1 = org();
    const account2 = org();
    const patient1 = await call<Patient>(
      accountAdmin.auth,
      'POST',
      'Patient',
      { resourceType: 'Patient', meta: { project: PROJECT_ID, account: { reference: account1 } } },
      EXTENDED
    );
    expectAccounts(patient1.json, [account1]);
    const patient2 = await call<Patient>(
      accountAdmin.auth,
      'PUT',
      `Patient/${patient1.json.id}`,
      { ...patient1.json, meta: { account: { reference: account2 } } },
      EXTENDED
    );
    expectAccounts(patient2.json, [account2]);

    // A non-admin's account is silently ignored: nothing changes, not even the version.
    const patient3 = await call<Patient>(
      nonAdmin.auth,
      'PUT',
      `Patient/${patient2.json.id}`,
      { ...patient2.json, meta: { account: { reference: org() } } },
      EXTENDED
    );
    expect(patient3.json.meta?.versionId).toBe(patient2.json.meta?.versionId);
    expectAccounts(patient3.json, [account2]);

    const patient4 = await call<Patient>(
      accountAdmin.auth,
      'PUT',
      `Patient/${patient3.json.id}`,
      {
        ...patient3.json,
        meta: {
          security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }],
          tag: [{ system: 'http://example.com', code: 'example-tag' }],
        },
      },
      EXTENDED
    );
    expect(patient4.json.meta?.accounts).toBeUndefined();

    const cleared = await call<Patient>(
      accountAdmin.auth,
      'PUT',
      `Patient/${patient2.json.id}`,
      { ...patient2.json, meta: { accounts: undefined, account: undefined } },
      EXTENDED
    );
    expect(cleared.json.meta?.account).toBeUndefined();
    expect(cleared.json.meta?.accounts).toBeUndefined();
  });

  medplum.it('Project admin can set multiple accounts', async () => {
    const [account1, account2, account3] = [org(), org(), org()];
    const patient1 = await call<Patient>(
      accountAdmin.auth,
      'POST',
      'Patient',
      {
        resourceType: 'Patient',
        meta: { project: PROJECT_ID, accounts: [{ reference: account1 }, { reference: account2 }] },
      },
      EXTENDED
    );
    expectAccounts(patient1.json, [account1, account2]);
    const patient2 = await call<Patient>(
      accountAdmin.auth,
      'PUT',
      `Patient/${patient1.json.id}`,
      { ...patient1.json, meta: { accounts: [{ reference: account2 }, { reference: account3 }] } },
      EXTENDED
    );
    expectAccounts(patient2.json, [account2, account3]);
    // `account` and `accounts` together: their union, `account` first.
    const patient3 = await call<Patient>(
      accountAdmin.auth,
      'PUT',
      `Patient/${patient2.json.id}`,
      { ...patient2.json, meta: { ...patient2.json.meta, accounts: [{ reference: account1 }] } },
      EXTENDED
    );
    expectAccounts(patient3.json, [account2, account1]);
    const patient4 = await call<Patient>(
      nonAdmin.auth,
      'PUT',
      `Patient/${patient3.json.id}`,
      { ...patient3.json, meta: { accounts: [{ reference: org() }] } },
      EXTENDED
    );
    expectAccounts(patient4.json, [account2, account1]);
  });

  medplum.it('Mutex resource type policies with hidden fields', { seedBound: SEED_BOUND.ownProject }, async () => {
    // A project of its own: the case counts every Observation the member can search.
    const organizationId = randomUUID();
    const orgReference = { reference: `Organization/${organizationId}` };
    const own: Resource[] = [];
    const mutex = member(own, {
      admin: true,
      policy: {
        name: 'Hidden Fields Test',
        resource: [
          {
            resourceType: 'Observation',
            hiddenFields: ['valueQuantity', 'valueString', 'interpretation', 'note'],
            criteria: `Observation?_compartment:not=Organization/${organizationId}`,
          },
          { resourceType: 'Observation', criteria: `Observation?_compartment=Organization/${organizationId}` },
        ],
      },
    });
    const bundle = buildSeed();
    bundle.entry?.push(...own.map((resource) => ({ resource })));
    bundle.entry?.push({ resource: { resourceType: 'Organization', id: organizationId, meta, name: 'Test2' } });
    const isolated = await startTarget({ seed: bundle });
    try {
      const observation = (value: number, extra: Partial<Observation>): Observation => ({
        resourceType: 'Observation',
        status: 'entered-in-error',
        code: { coding: [{ system: 'http://loinc.org', code: '10164-2' }] },
        subject: { reference: `Patient/${randomUUID()}`, display: 'Local Donor2' },
        valueQuantity: { value, unit: '%' },
        ...extra,
      });
      const withHidden = await call<Observation>(
        mutex.auth,
        'POST',
        'Observation',
        observation(20, {}),
        EXTENDED,
        isolated
      );
      const withVisible = await call<Observation>(
        mutex.auth,
        'POST',
        'Observation',
        observation(10, { meta: { account: orgReference, compartment: [orgReference] } }),
        EXTENDED,
        isolated
      );
      const results = await call<Bundle<Observation>>(mutex.auth, 'GET', 'Observation', undefined, {}, isolated);
      const found = (results.json.entry ?? []).map((e) => e.resource as Observation);
      expect(found).toHaveLength(2);
      expect(found.find((o) => o.id === withHidden.json.id)?.valueQuantity).toBeUndefined();
      expect(found.find((o) => o.id === withVisible.json.id)?.valueQuantity).toEqual<Quantity>({
        value: 10,
        unit: '%',
      });
    } finally {
      await isolated.stop();
    }
  });

  medplum.it('Empty access policy allows reading StructureDefinitions', async () => {
    const bundle = await call<Bundle<StructureDefinition>>(emptyResourceList.auth, 'GET', 'StructureDefinition');
    expect(bundle.status).toBe(200);
    const sd = bundle.json.entry?.[0]?.resource as StructureDefinition;
    expect(sd.resourceType).toBe('StructureDefinition');
    expectForbidden(
      await call(emptyResourceList.auth, 'PUT', `StructureDefinition/${sd.id}`, { ...sd, url: randomUUID() })
    );
    expectForbidden(await call(emptyResourceList.auth, 'DELETE', `StructureDefinition/${sd.id}`));
  });

  medplum.it('Project Admin cannot link Projects', async () => {
    const project = await call<Project>(admin(), 'GET', `Project/${PROJECT_ID}`, undefined, EXTENDED);
    expect(project.json.link).toBeUndefined();
    const updated = await call<Project>(
      admin(),
      'PUT',
      `Project/${PROJECT_ID}`,
      { ...project.json, link: [{ project: { reference: 'Project/foo' } }, { project: { reference: 'Project/bar' } }] },
      EXTENDED
    );
    expect(updated.status).toBe(200);
    expect(updated.json.link).toBeUndefined();
  });

  medplum.it('Build access policy with empty access array', async () => {
    // `access: []` is no policy at all: everything but the project-admin types.
    const patient = await createAsAdmin(alicePatient());
    expect((await call(emptyAccessArray.auth, 'GET', `Patient/${patient.id}`)).status).toBe(200);
    expect((await call(emptyAccessArray.auth, 'GET', 'Observation')).status).toBe(200);
  });

  medplum.it('Server accepts criteria that starts with escape code', async () => {
    const created = await call(admin(), 'POST', 'AccessPolicy', {
      resourceType: 'AccessPolicy',
      resource: [{ resourceType: 'Device', criteria: 'Device?identifier=foo' }],
    });
    expect(created.status).toBe(201);
  });

  medplum.it('Wildcard policy with criteria', async () => {
    const patient = await createAsAdmin<Patient>({
      resourceType: 'Patient',
      link: [{ type: 'refer', other: { reference: wildcardCompartment } }],
    });
    const read = await call<Patient>(wildcardCriteria.auth, 'GET', `Patient/${patient.id}`, undefined, EXTENDED);
    expect(read.json.meta?.compartment).toContainEqual({ reference: wildcardCompartment });
    const patient2 = await createAsAdmin<Patient>({ resourceType: 'Patient' });
    expectNotFound(await call(wildcardCriteria.auth, 'GET', `Patient/${patient2.id}`));
  });

  medplum.it('Limit specific FHIR interactions', async () => {
    const auth = limitedInteractions.auth;
    const created = await call<Resource>(auth, 'POST', 'Condition', {
      resourceType: 'Condition',
      subject: { reference: 'Patient/foo' },
    });
    expect(created.status).toBe(201);
    const condition = created.json;
    expect((await call(auth, 'GET', `Condition/${condition.id}`)).status).toBe(200);
    expectForbidden(await call(auth, 'GET', `Condition?_id=${condition.id}`));
    expectForbidden(await call(auth, 'GET', `Condition/${condition.id}/_history`));
    expectForbidden(await call(auth, 'GET', `Condition/${condition.id}/_history/${condition.meta?.versionId}`));
    expectForbidden(await call(auth, 'PUT', `Condition/${condition.id}`, { ...condition, onsetString: 'yesterday' }));
    expectForbidden(await call(auth, 'DELETE', `Condition/${condition.id}`));
  });

  medplum.it('Build access policy with invalid access policy reference', async () => {
    const answer = await call(missingPolicyMember.auth, 'GET', 'Patient');
    expect(answer.status).toBe(400);
    const issue = (answer.json as unknown as OperationOutcome).issue?.[0];
    expect(issue?.code).toBe('invalid');
    // Medplum's test matches parts of the error message; over HTTP it is the outcome's whole text
    // (packages/server/src/fhir/accesspolicy.ts).
    expect(issue?.details?.text).toBe(
      'Cannot authenticate: Invalid access policy configuration. Please contact your administrator to update your project membership.'
    );
  });

  medplum.it('Combined access policies with overlapping entries', async () => {
    const globalDevice = await createAsAdmin<Device>({ resourceType: 'Device' });
    const scopedDevice = await createAsAdmin<Device>({
      resourceType: 'Device',
      identifier: [{ system: deviceIdentifier, value: 'foo' }],
    });
    expect((await call(combinedDevices.auth, 'GET', `Device/${globalDevice.id}`)).status).toBe(200);
    expect((await call(combinedDevices.auth, 'GET', `Device/${scopedDevice.id}`)).status).toBe(200);
    const results = await call<Bundle>(combinedDevices.auth, 'GET', 'Device');
    expect(results.json.entry).toHaveLength(1);
  });
});

/**
 * "Project admin cannot modify protected fields" and "… cannot override synthetic access policy for admin types": an
 * admin edits its Project and its own membership; protected fields are no-ops (same version), a new Project is refused.
 */
async function protectedFieldsScenario(who: Member): Promise<void> {
  const check1 = await call<Project>(who.auth, 'GET', `Project/${PROJECT_ID}`, undefined, EXTENDED);
  expect(check1.json.id).toBe(PROJECT_ID);
  const original = check1.json;
  // Both cases rename the seed project: each to a name of its own, so each rename is a change.
  const name = `Updated name ${randomUUID()}`;
  const check2 = await call<Project>(who.auth, 'PUT', `Project/${PROJECT_ID}`, { ...original, name }, EXTENDED);
  expect(check2.json.id).toBe(PROJECT_ID);
  expect(check2.json.name).toBe(name);
  expect(check2.json.meta?.versionId).not.toBe(original.meta?.versionId);
  expect(check2.json.meta?.compartment?.find((c) => c.reference === `Project/${PROJECT_ID}`)).toBeTruthy();

  const check3 = await call<Project>(
    who.auth,
    'PUT',
    `Project/${PROJECT_ID}`,
    {
      ...check2.json,
      superAdmin: true,
      features: ['bots'],
      systemSetting: [{ name: 'rateLimit', valueInteger: 1000000 }],
      systemSecret: [{ name: 'mySecret', valueString: 'bar' }],
    },
    EXTENDED
  );
  expect(check3.json.id).toBe(PROJECT_ID);
  expect(check3.json.meta?.versionId).toBe(check2.json.meta?.versionId);
  expect(check3.json.superAdmin).toBeUndefined();
  expect(check3.json.features).toEqual(original.features);
  expect(check3.json.systemSetting).toBeUndefined();
  expect(check3.json.systemSecret).toBeUndefined();

  const check4 = await call<ProjectMembership>(
    who.auth,
    'GET',
    `ProjectMembership/${who.membershipId}`,
    undefined,
    EXTENDED
  );
  expect(check4.json.id).toBe(who.membershipId);
  const check5 = await call<ProjectMembership>(
    who.auth,
    'PUT',
    `ProjectMembership/${who.membershipId}`,
    { ...check4.json, profile: { reference: `Practitioner/${randomUUID()}` } },
    EXTENDED
  );
  expect(check5.json.id).toBe(check4.json.id);
  expect(check5.json.meta?.versionId).not.toBe(check4.json.meta?.versionId);
  expect(check5.json.meta?.compartment?.find((c) => c.reference === `Project/${PROJECT_ID}`)).toBeTruthy();

  const check6 = await call<ProjectMembership>(
    who.auth,
    'PUT',
    `ProjectMembership/${who.membershipId}`,
    { ...check5.json, project: { reference: `Project/${randomUUID()}` } },
    EXTENDED
  );
  expect(check6.json.id).toBe(check4.json.id);
  expect(check6.json.meta?.versionId).toBe(check5.json.meta?.versionId);
  expect(check6.json.project?.reference).toBe(check4.json.project?.reference);

  expectForbidden(await call(who.auth, 'POST', 'Project', { resourceType: 'Project', name: 'Test Project' }));
}

import { randomUUID } from 'node:crypto';
import type { Bundle, Resource, UserConfiguration } from '@medplum/fhirtypes';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, expect } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { basic, form, startTarget } from '../contract/target.ts';
import { bob, buildSeed, PROJECT_ID, provisionedLike, SECOND_PROJECT_ID, webClient } from '../fixtures/seed.ts';
import { seedWith } from './harness.ts';
import { mirrorOf } from './mirror.ts';

/**
 * /auth/me, as packages/server/src/auth/me.test.ts has it. Medplum's test registers a new project per case (its user
 * is that project's admin); here each case has its own seeded practitioner, a project admin, in the fixture's project.
 */
const userAgent = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/107.0.0.0';
const password = 'password!@#';

interface Person {
  email: string;
  userId: string;
  membershipIds: string[];
}

function newPerson(name: string, membershipCount = 1): Person {
  const person = {
    email: `${name}${randomUUID()}@example.com`,
    password,
    userId: randomUUID(),
    membershipIds: Array.from({ length: membershipCount }, () => randomUUID()),
  };
  provisionedLike(person, person.membershipIds);
  return person;
}

/** Configured menu, default menu, memberships (two active and one inactive here, one in the second project). */
const configured = newPerson('alex');
const defaultMenu = newPerson('alex');
const single = newPerson('alice');
const several = newPerson('alice', 4);

function personResources(
  person: Person,
  memberships: { projectId: string; active?: boolean }[],
  identifier?: { system: string; value: string }[]
): Resource[] {
  const practitionerId = randomUUID();
  return [
    {
      resourceType: 'User',
      id: person.userId,
      firstName: 'Alexander',
      lastName: 'Hamilton',
      email: person.email,
      passwordHash: bcrypt.hashSync(password, 4),
      ...(identifier ? { identifier } : {}),
    },
    {
      resourceType: 'Practitioner',
      id: practitionerId,
      meta: { project: PROJECT_ID },
      name: [{ given: ['Alexander'], family: 'Hamilton' }],
    },
    ...memberships.map(
      ({ projectId, active }, index): Resource => ({
        resourceType: 'ProjectMembership',
        id: person.membershipIds[index] as string,
        meta: { project: projectId },
        project: { reference: `Project/${projectId}` },
        user: { reference: `User/${person.userId}` },
        profile: { reference: `Practitioner/${practitionerId}` },
        admin: true,
        ...(active === false ? { active } : {}),
      })
    ),
  ];
}

function extendedSeed(): Bundle {
  const seed = buildSeed();
  const extra: Resource[] = [
    ...personResources(configured, [{ projectId: PROJECT_ID }], [{ system: 'http://example.com', value: '12345' }]),
    ...personResources(defaultMenu, [{ projectId: PROJECT_ID }]),
    ...personResources(single, [{ projectId: PROJECT_ID }]),
    ...personResources(several, [
      { projectId: PROJECT_ID },
      { projectId: PROJECT_ID },
      { projectId: PROJECT_ID, active: false },
      { projectId: SECOND_PROJECT_ID },
    ]),
  ];
  return seedWith(extra, seed);
}

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget({ seed: extendedSeed() });
});
afterAll(() => target.stop());

async function post(path: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(`${target.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'User-Agent': userAgent },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** Signs in through the web client (choosing the first membership when there are several); returns the access token. */
async function signIn(email: string, membershipId?: string): Promise<string> {
  let result = await post('auth/login', {
    email,
    password: email === bob.email ? bob.password : password,
    clientId: webClient.id,
    scope: 'openid',
    codeChallenge: 'xyz',
    codeChallengeMethod: 'plain',
  });
  if (!result.code) result = await post('auth/profile', { login: result.login, profile: membershipId });
  const response = await fetch(
    `${target.baseUrl}oauth2/token`,
    form({ grant_type: 'authorization_code', code: result.code as string, code_verifier: 'xyz' })
  );
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

interface MeBody {
  user?: { identifier?: unknown[] };
  profile?: { resourceType: string };
  config?: UserConfiguration;
  accessPolicy?: { basedOn?: unknown[] };
  security?: { sessions: { browser?: string; os?: string }[]; memberships: { resourceType: string; id: string }[] };
  error?: unknown;
}

async function getMe(authorization: string): Promise<{ status: number; body: MeBody }> {
  const response = await fetch(`${target.baseUrl}auth/me`, { headers: { Authorization: authorization } });
  return { status: response.status, body: (await response.json()) as MeBody };
}

async function fhir(method: string, path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${target.baseUrl}fhir/R4/${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

/** Creates the UserConfiguration and points the caller's membership at it (Medplum's test uses the admin API). */
async function configure(token: string, membershipId: string, config: UserConfiguration): Promise<void> {
  const res3 = await fhir('POST', 'UserConfiguration', token, config);
  expect(res3.status).toBe(201);
  const created = (await res3.json()) as UserConfiguration;
  expect(created.id).toBeDefined();
  expect(created).toMatchObject(config);

  const res4 = await fhir('GET', `ProjectMembership/${membershipId}`, token);
  expect(res4.status).toBe(200);
  const membership = (await res4.json()) as Record<string, unknown>;
  expect(membership.resourceType).toBe('ProjectMembership');
  const res5 = await fhir('PUT', `ProjectMembership/${membershipId}`, token, {
    ...membership,
    userConfiguration: { reference: `UserConfiguration/${created.id}` },
  });
  expect(res5.status).toBe(200);
}

const adminDefaultMenu = [
  {
    title: 'Favorites',
    link: ['Patient', 'Practitioner', 'Organization', 'ServiceRequest', 'DiagnosticReport', 'Questionnaire'].map(
      (name) => ({ name, target: `/${name}` })
    ),
  },
  {
    title: 'Admin',
    link: [
      { name: 'Project', target: '/admin/project' },
      { name: 'AccessPolicy', target: '/AccessPolicy' },
      { name: 'Subscriptions', target: '/Subscription' },
      { name: 'Batch', target: '/batch' },
      { name: 'Config', target: '/admin/config' },
    ],
  },
];

const medplum = mirrorOf('packages/server/src/auth/me.test.ts', '069a568359d9212f8a0702a7f264e73c4858b471');

medplum.describe(() => {
  medplum.it('Unauthenticated', async () => {
    const res = await fetch(`${target.baseUrl}auth/me`);
    expect(res.status).toBe(401);
  });

  medplum.it('User configuration', { seedBound: SEED_BOUND.users }, async () => {
    const token = await signIn(configured.email);
    const res2 = await getMe(`Bearer ${token}`);
    expect(res2.status).toBe(200);
    expect(res2.body.profile?.resourceType).toBe('Practitioner');
    expect(res2.body.config?.resourceType).toBe('UserConfiguration');

    const config: UserConfiguration = {
      resourceType: 'UserConfiguration',
      menu: [{ title: 'My Menu', link: [{ name: 'My Link', target: '/my-target' }] }],
    };
    await configure(token, configured.membershipIds[0] as string, config);

    const res6 = await getMe(`Bearer ${token}`);
    expect(res6.status).toBe(200);
    expect(res6.body.config).toMatchObject(config);
    expect(res6.body.security?.sessions[0]?.browser).toBeDefined();
    expect(res6.body.security?.sessions[0]?.os).toBeDefined();
    expect(res6.body.user?.identifier).toHaveLength(1);
    expect(res6.body.user?.identifier?.[0]).toMatchObject({ system: 'http://example.com', value: '12345' });
  });

  medplum.it('Set default menu', async () => {
    const token = await signIn(defaultMenu.email);
    const res2 = await getMe(`Bearer ${token}`);
    expect(res2.status).toBe(200);
    expect(res2.body.profile?.resourceType).toBe('Practitioner');
    expect(res2.body.config?.resourceType).toBe('UserConfiguration');
    expect(res2.body.config?.menu).toMatchObject(adminDefaultMenu);

    const config: UserConfiguration = {
      resourceType: 'UserConfiguration',
      option: [{ id: 'fhirQuota', valueInteger: 1000 }],
    };
    await configure(token, defaultMenu.membershipIds[0] as string, config);

    const res6 = await getMe(`Bearer ${token}`);
    expect(res6.status).toBe(200);
    expect(res6.body.config?.menu).toMatchObject(adminDefaultMenu);
  });

  medplum.it('Get me as ClientApplication', async () => {
    const res = await getMe(basic(target.client.id, target.client.secret));
    expect(res.status).toBe(200);
    expect(res.body.error).toBeUndefined();
  });

  medplum.it('AccessPolicy.basedOn', async () => {
    const res = await getMe(`Bearer ${await signIn(bob.email)}`);
    expect(res.status).toBe(200);
    expect(res.body.accessPolicy?.basedOn).toMatchObject([{ reference: `AccessPolicy/${bob.policyId}` }]);
  });

  medplum.it('Get user memberships', async () => {
    const res1 = await getMe(`Bearer ${await signIn(single.email)}`);
    expect(res1.status).toBe(200);
    expect(res1.body.security?.memberships).toHaveLength(1);
    expect(res1.body.security?.memberships[0]).toMatchObject({
      resourceType: 'ProjectMembership',
      id: single.membershipIds[0],
    });

    // Two active memberships in the project, one inactive there, one in another project: only the two count.
    const res4 = await getMe(`Bearer ${await signIn(several.email, several.membershipIds[0])}`);
    expect(res4.status).toBe(200);
    expect(res4.body.security?.memberships).toHaveLength(2);
  });
});

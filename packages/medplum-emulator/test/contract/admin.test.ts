import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';
import type { Bundle, ClientApplication, Practitioner, ProjectMembership, User } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/index.ts';
import {
  adminClient,
  alice,
  bob,
  buildSeed,
  deviceClient,
  PROJECT_ID,
  SECOND_PROJECT_ID,
  webClient,
} from '../fixtures/seed.ts';
import { describeSeedBound, itSeedBound, SEED_BOUND } from './seed-bound.ts';
import type { ContractTarget } from './target.ts';
import { basic, decodePayload, form, startTarget } from './target.ts';

/** A Practitioner of the fixture's second project, to invite into the first one. */
const foreignPractitionerId = '00000000-0000-4000-8000-000000000201';

let target: ContractTarget;
beforeAll(async () => {
  const seed = buildSeed();
  seed.entry?.push({
    resource: {
      resourceType: 'Practitioner',
      id: foreignPractitionerId,
      meta: { project: SECOND_PROJECT_ID },
      name: [{ given: ['Fran'], family: 'Foreign' }],
    },
  });
  target = await startTarget({ seed });
});
afterAll(() => target.stop());

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

const adminAuth = () => basic(adminClient.id, adminClient.secret);
const deviceAuth = () => basic(deviceClient.id, deviceClient.secret);

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  baseUrl = target.baseUrl
): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/fhir+json', 'X-Medplum': 'extended', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : {} };
}

async function fhir<T>(path: string, authorization = adminAuth()): Promise<T> {
  const response = await fetch(`${target.baseUrl}fhir/R4/${path}`, {
    headers: { Authorization: authorization, 'X-Medplum': 'extended' },
  });
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function search<T>(query: string): Promise<T[]> {
  const bundle = await fhir<Bundle>(query);
  return (bundle.entry ?? []).map((entry) => entry.resource as T);
}

function issues(answer: Answer): { expression?: string[]; text?: string; code?: string }[] {
  return (answer.json.issue as { expression?: string[]; details?: { text?: string }; code?: string }[]).map(
    (issue) => ({
      ...(issue.expression ? { expression: issue.expression } : {}),
      text: issue.details?.text,
      code: issue.code,
    })
  );
}

const clientPath = (projectId = PROJECT_ID) => `admin/projects/${projectId}/client`;
const invitePath = (projectId = PROJECT_ID) => `admin/projects/${projectId}/invite`;

let emailCounter = 0;
function newEmail(prefix = 'invitee'): string {
  emailCounter += 1;
  return `${prefix.toLowerCase()}-${emailCounter}-${randomBytes(4).toString('hex')}@example.com`;
}

/** Password sign-in through the web client (PKCE), as @medplum/react's SignInForm does. */
async function passwordTokens(email: string, password: string): Promise<Record<string, unknown>> {
  const verifier = randomBytes(32).toString('base64url');
  const login = await post('auth/login', {
    email,
    password,
    clientId: webClient.id,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    codeChallengeMethod: 'S256',
  });
  expect(login.status).toBe(200);
  const tokens = await fetch(
    `${target.baseUrl}oauth2/token`,
    form({ grant_type: 'authorization_code', code: login.json.code as string, code_verifier: verifier })
  );
  expect(tokens.status).toBe(200);
  return (await tokens.json()) as Record<string, unknown>;
}

describe('admin endpoints without valid credentials', () => {
  it.each([
    ['client', { name: 'Nobody’s client' }],
    ['invite', { resourceType: 'Practitioner', firstName: 'No', lastName: 'Body', email: 'nobody@example.com' }],
  ])(
    'POST admin/projects/:id/%s without credentials → 401 login, with WWW-Authenticate: Bearer',
    async (path, body) => {
      // packages/server/src/oauth/middleware.ts: a Bearer challenge unless the request used Basic credentials.
      const answer = await post(`admin/projects/${PROJECT_ID}/${path}`, body);
      expect(answer.status).toBe(401);
      expect(answer.json.resourceType).toBe('OperationOutcome');
      expect(issues(answer)[0]?.code).toBe('login');
      expect(answer.headers.get('www-authenticate')).toBe(`Bearer realm="${target.baseUrl}"`);
    }
  );

  it('a rejected Bearer token → 401 with WWW-Authenticate: Bearer', async () => {
    const answer = await post(clientPath(), { name: 'x' }, { Authorization: 'Bearer not-a-token' });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe(`Bearer realm="${target.baseUrl}"`);
  });

  it('wrong Basic credentials → 401', async () => {
    const answer = await post(invitePath(), {}, { Authorization: basic(adminClient.id, 'wrong-secret') });
    expect(answer.status).toBe(401);
  });
});

describe(`POST admin/projects/:id/client`, () => {
  it('creates a ClientApplication with a generated secret and its membership (user = profile = the client), 201', async () => {
    const answer = await post(
      clientPath(),
      {
        name: 'Lab bridge',
        description: 'Created by the admin API',
        accessPolicy: { reference: `AccessPolicy/${bob.policyId}` },
      },
      { Authorization: adminAuth() }
    );
    expect(answer.status).toBe(201);
    const client = answer.json as unknown as ClientApplication;
    expect(client).toMatchObject({
      resourceType: 'ClientApplication',
      name: 'Lab bridge',
      description: 'Created by the admin API',
    });
    expect(client.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(client.meta?.project).toBe(PROJECT_ID);
    expect(client.meta?.author?.reference).toBe(`ClientApplication/${adminClient.id}`);

    expect((await fhir<ClientApplication>(`ClientApplication/${client.id}`)).secret).toBe(client.secret);
    const memberships = await search<ProjectMembership>(`ProjectMembership?user=ClientApplication/${client.id}`);
    expect(memberships).toHaveLength(1);
    expect(memberships[0]).toMatchObject({
      project: { reference: `Project/${PROJECT_ID}` },
      user: { reference: `ClientApplication/${client.id}`, display: 'Lab bridge' },
      profile: { reference: `ClientApplication/${client.id}`, display: 'Lab bridge' },
      accessPolicy: { reference: `AccessPolicy/${bob.policyId}` },
    });
    expect(memberships[0]?.admin).toBeUndefined();
    expect(memberships[0]?.meta).toMatchObject({ project: PROJECT_ID, author: { reference: 'system' } });
  });

  it('the created client signs in with client credentials and gets its membership’s policy', async () => {
    const admin = new MedplumClient({ baseUrl: target.baseUrl, storage: new ClientStorage(new MemoryStorage()) });
    await admin.startClientLogin(adminClient.id, adminClient.secret);
    // Exactly as @org/auth's provisioning calls it.
    const created = (await admin.post(`admin/projects/${PROJECT_ID}/client`, {
      name: 'Provisioned client',
      accessPolicy: { reference: `AccessPolicy/${bob.policyId}` },
    })) as ClientApplication;

    const medplum = new MedplumClient({
      baseUrl: target.baseUrl,
      clientId: created.id,
      storage: new ClientStorage(new MemoryStorage()),
    });
    const profile = await medplum.startClientLogin(created.id as string, created.secret as string);
    expect(profile).toMatchObject({ resourceType: 'ClientApplication', id: created.id });
    const claims = decodePayload(medplum.getAccessToken() as string);
    expect(claims).toMatchObject({ client_id: created.id, sub: created.id });
    expect(medplum.getProject()?.id).toBe(PROJECT_ID);
    expect(medplum.isProjectAdmin()).toBe(false);
    expect(medplum.getAccessPolicy()?.resource).toContainEqual(
      expect.objectContaining({
        resourceType: 'Patient',
        criteria: `Patient?general-practitioner=ClientApplication/${created.id}`,
      })
    );
  });

  it('is served under /api/ too, and hides meta.author/project without X-Medplum: extended', async () => {
    const response = await fetch(`${target.baseUrl}api/${clientPath()}`, {
      method: 'POST',
      headers: { Authorization: adminAuth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Under api' }),
    });
    expect(response.status).toBe(201);
    const client = (await response.json()) as ClientApplication;
    expect(client.name).toBe('Under api');
    expect(client.meta?.author).toBeUndefined();
    expect(client.meta?.project).toBeUndefined();
  });

  it('a member who is not a project admin → 403, before the body is looked at', async () => {
    for (const body of [{ name: 'Not allowed' }, {}]) {
      const answer = await post(clientPath(), body, { Authorization: deviceAuth() });
      expect(answer.status).toBe(403);
      expect(issues(answer)[0]?.code).toBe('forbidden');
    }
    const aliceToken = (await passwordTokens(alice.email, alice.password)).access_token as string;
    expect((await post(clientPath(), { name: 'x' }, { Authorization: `Bearer ${aliceToken}` })).status).toBe(403);
  });

  it('an admin acting on behalf of a non-admin member → 403 (the on-behalf-of membership is checked)', async () => {
    const answer = await post(
      clientPath(),
      { name: 'x' },
      { Authorization: adminAuth(), 'X-Medplum-On-Behalf-Of': `ProjectMembership/${alice.membershipId}` }
    );
    expect(answer.status).toBe(403);
  });

  it('an invalid body → 400 with one issue per invalid field, and nothing is created', async () => {
    const before = (await search<ClientApplication>('ClientApplication')).length;
    const missing = await post(clientPath(), { description: 'no name' }, { Authorization: adminAuth() });
    expect(missing.status).toBe(400);
    expect(issues(missing)).toEqual([{ expression: ['name'], text: 'Client name is required', code: 'invalid' }]);

    const notJson = await post(clientPath(), 'name=x', {
      Authorization: adminAuth(),
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    expect(notJson.status).toBe(400);
    expect((await search<ClientApplication>('ClientApplication')).length).toBe(before);
  });

  itSeedBound(
    SEED_BOUND.emulatorOnly,
    'an accessPolicy that is not an AccessPolicy reference → 400 as well',
    async () => {
      const before = (await search<ClientApplication>('ClientApplication')).length;
      const both = await post(
        clientPath(),
        { name: '', accessPolicy: { reference: `Patient/${bob.practitionerId}` } },
        { Authorization: adminAuth() }
      );
      expect(both.status).toBe(400);
      expect(issues(both).map((issue) => issue.expression)).toEqual([['name'], ['accessPolicy']]);
      expect((await search<ClientApplication>('ClientApplication')).length).toBe(before);
    }
  );
});

describe(`POST admin/projects/:id/invite`, () => {
  it('creates the User (bcrypt hash of the password), the Practitioner and the membership; the user can sign in', async () => {
    const email = newEmail('Dana');
    const answer = await post(
      invitePath(),
      {
        resourceType: 'Practitioner',
        firstName: 'Dana',
        lastName: 'Scully',
        email: email.toUpperCase(),
        password: 'dana-password-123',
        sendEmail: false,
        accessPolicy: { reference: `AccessPolicy/${bob.policyId}` },
      },
      { Authorization: adminAuth() }
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('etag')).toMatch(/^W\/"/);
    const membership = answer.json as unknown as ProjectMembership;
    expect(membership).toMatchObject({
      resourceType: 'ProjectMembership',
      project: { reference: `Project/${PROJECT_ID}` },
      user: { reference: expect.stringMatching(/^User\//), display: email },
      profile: { reference: expect.stringMatching(/^Practitioner\//), display: 'Dana Scully' },
      accessPolicy: { reference: `AccessPolicy/${bob.policyId}` },
    });
    expect(membership.meta).toMatchObject({ project: PROJECT_ID, author: { reference: 'system' } });

    const practitioner = await fhir<Practitioner>(membership.profile?.reference as string);
    expect(practitioner).toMatchObject({
      name: [{ given: ['Dana'], family: 'Scully' }],
      telecom: [{ system: 'email', use: 'work', value: email }],
      meta: { project: PROJECT_ID, author: { reference: 'system' } },
    });
    // A practitioner's User is server-wide (no project): a project admin's policy only covers `User?_project=<own>`
    // (packages/server/src/fhir/accesspolicy.ts), so it does not exist for the admin client.
    const userRead = await fetch(`${target.baseUrl}fhir/R4/${membership.user?.reference}`, {
      headers: { Authorization: adminAuth() },
    });
    expect(userRead.status).toBe(404);

    const tokens = await passwordTokens(email, 'dana-password-123');
    expect(tokens.profile).toEqual({ reference: membership.profile?.reference, display: 'Dana Scully' });
  });

  it('with upsert, inviting again updates the same membership and creates nothing else', async () => {
    const email = newEmail('repeat');
    const invite = { resourceType: 'Practitioner', firstName: 'Rey', lastName: 'Peat', email, sendEmail: false };
    const first = await post(invitePath(), { ...invite, upsert: true }, { Authorization: adminAuth() });
    expect(first.status).toBe(200);
    const userReference = (first.json.user as { reference: string }).reference;
    const count = async () => ({
      practitioners: (await search<Practitioner>(`Practitioner?email=${encodeURIComponent(email)}`)).length,
      memberships: (await search<ProjectMembership>(`ProjectMembership?user=${userReference}`)).length,
    });
    expect(await count()).toEqual({ practitioners: 1, memberships: 1 });

    const changed = {
      ...invite,
      upsert: true,
      admin: true,
      accessPolicy: { reference: `AccessPolicy/${bob.policyId}` },
    };
    const again = await post(invitePath(), changed, { Authorization: adminAuth() });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({
      id: first.json.id,
      admin: true,
      accessPolicy: changed.accessPolicy,
      profile: first.json.profile,
      user: first.json.user,
    });
    const third = await post(invitePath(), changed, { Authorization: adminAuth() });
    expect(third.status).toBe(200);
    expect(third.json.id).toBe(first.json.id);
    expect(await count()).toEqual({ practitioners: 1, memberships: 1 });
  });

  it('without upsert, inviting a member again → 409', async () => {
    const email = newEmail('twice');
    const invite = { resourceType: 'Practitioner', firstName: 'Tw', lastName: 'Ice', email, sendEmail: false };
    expect((await post(invitePath(), invite, { Authorization: adminAuth() })).status).toBe(200);
    const again = await post(invitePath(), invite, { Authorization: adminAuth() });
    expect(again.status).toBe(409);
    expect(issues(again)).toEqual([{ text: 'User is already a member of this project', code: 'conflict' }]);
  });

  it('reuses a Practitioner of the project with that email, or the one named in membership.profile', async () => {
    const email = newEmail('existing');
    const created = await fetch(`${target.baseUrl}fhir/R4/Practitioner`, {
      method: 'POST',
      headers: { Authorization: adminAuth(), 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Practitioner', telecom: [{ system: 'email', value: email }] }),
    });
    const existing = (await created.json()) as Practitioner;
    const byEmail = await post(
      invitePath(),
      { resourceType: 'Practitioner', firstName: 'Ex', lastName: 'Isting', email, sendEmail: false },
      { Authorization: adminAuth() }
    );
    expect(byEmail.status).toBe(200);
    expect((byEmail.json.profile as { reference: string }).reference).toBe(`Practitioner/${existing.id}`);

    const named = await post(
      invitePath(),
      {
        resourceType: 'Practitioner',
        firstName: 'Na',
        lastName: 'Med',
        email: newEmail('named'),
        sendEmail: false,
        membership: { profile: { reference: `Practitioner/${bob.practitionerId}` } },
      },
      { Authorization: adminAuth() }
    );
    expect(named.status).toBe(200);
    expect((named.json.profile as { reference: string }).reference).toBe(`Practitioner/${bob.practitionerId}`);
  });

  itSeedBound(
    SEED_BOUND.secondProject,
    'a membership.profile that is another profile, of another type, of another project or missing → 409 / 400 / 404',
    async () => {
      const email = newEmail('profiles');
      const invite = { resourceType: 'Practitioner', firstName: 'Pro', lastName: 'File', email, sendEmail: false };
      expect((await post(invitePath(), invite, { Authorization: adminAuth() })).status).toBe(200);
      const otherProfile = await post(
        invitePath(),
        { ...invite, upsert: true, membership: { profile: { reference: `Practitioner/${bob.practitionerId}` } } },
        { Authorization: adminAuth() }
      );
      expect(otherProfile.status).toBe(409);
      expect(issues(otherProfile)[0]?.text).toBe('User is already a member of this project with a different profile');

      const wrongType = await post(
        invitePath(),
        {
          ...invite,
          email: newEmail(),
          membership: { profile: { reference: `Practitioner/${bob.practitionerId}` } },
          resourceType: 'Patient',
        },
        { Authorization: adminAuth() }
      );
      expect(wrongType.status).toBe(400);
      expect(issues(wrongType)[0]?.text).toBe('Profile resourceType does not match request');

      const foreign = await post(
        invitePath(),
        {
          ...invite,
          email: newEmail(),
          membership: { profile: { reference: `Practitioner/${foreignPractitionerId}` } },
        },
        { Authorization: adminAuth() }
      );
      expect(foreign.status).toBe(400);
      expect(issues(foreign)[0]?.text).toBe('Profile does not belong to project');

      const missing = await post(
        invitePath(),
        { ...invite, email: newEmail(), membership: { profile: { reference: 'Practitioner/does-not-exist' } } },
        { Authorization: adminAuth() }
      );
      expect(missing.status).toBe(404);
    }
  );

  it('a Patient invite makes a project-scoped User and a Patient profile', async () => {
    const email = newEmail('patient');
    const answer = await post(
      invitePath(),
      { resourceType: 'Patient', firstName: 'Pat', lastName: 'Ient', email, sendEmail: false },
      { Authorization: adminAuth() }
    );
    expect(answer.status).toBe(200);
    expect((answer.json.profile as { reference: string }).reference).toMatch(/^Patient\//);
    const user = await fhir<User>((answer.json.user as { reference: string }).reference);
    expect(user.project?.reference).toBe(`Project/${PROJECT_ID}`);
  });

  it('a member who is not a project admin → 403, before the body is looked at', async () => {
    const invite = {
      resourceType: 'Practitioner',
      firstName: 'No',
      lastName: 'Pe',
      email: newEmail(),
      sendEmail: false,
    };
    for (const body of [invite, {}]) {
      const answer = await post(invitePath(), body, { Authorization: deviceAuth() });
      expect(answer.status).toBe(403);
      expect(issues(answer)[0]?.code).toBe('forbidden');
    }
    expect(await search<User>(`User?email=${encodeURIComponent(invite.email)}`)).toEqual([]);
  });

  it('an invalid body → 400 with one issue per invalid field (Medplum’s validators)', async () => {
    const medplumRules = await post(
      invitePath(),
      { resourceType: 'Organization', firstName: '', email: 'not-an-email' },
      { Authorization: adminAuth() }
    );
    expect(medplumRules.status).toBe(400);
    expect(issues(medplumRules)).toEqual([
      { expression: ['resourceType'], text: 'Resource type is required', code: 'invalid' },
      { expression: ['firstName'], text: 'First name is required', code: 'invalid' },
      { expression: ['lastName'], text: 'Last name is required', code: 'invalid' },
      { text: 'Either email or externalId is required', code: 'invalid' },
    ]);
  });

  itSeedBound(
    SEED_BOUND.emulatorOnly,
    'the emulator’s type checks and its refusal of externalId invites → 400',
    async () => {
      const types = await post(
        invitePath(),
        {
          resourceType: 'Practitioner',
          firstName: 'Ty',
          lastName: 'Pes',
          email: newEmail(),
          password: 12345678,
          accessPolicy: 'AccessPolicy/1',
          access: [{ policy: { reference: 'Patient/1' } }],
          admin: 'yes',
          membership: ['not', 'an', 'object'],
        },
        { Authorization: adminAuth() }
      );
      expect(types.status).toBe(400);
      expect(issues(types).map((issue) => issue.expression)).toEqual([
        ['password'],
        ['accessPolicy'],
        ['access'],
        ['admin'],
        ['membership'],
      ]);

      const external = await post(
        invitePath(),
        { resourceType: 'Patient', firstName: 'Ex', lastName: 'Ternal', externalId: 'sub-1' },
        { Authorization: adminAuth() }
      );
      expect(external.status).toBe(400);
      expect(issues(external)[0]?.text).toBe('The emulator does not support invites by externalId; invite by email');
    }
  );
});

describeSeedBound(SEED_BOUND.emulatorOption, 'admin writes on a data file', () => {
  const folder = mkdtempSync(join(tmpdir(), 'medplum-emulator-admin-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('a created client and an invited user survive a restart', async () => {
    const dataFile = join(folder, 'emulator.json');
    const first = await startEmulator({ port: 0, seed: buildSeed(), dataFile, log: () => {} });
    const email = newEmail('kept');
    let client: ClientApplication;
    try {
      const created = await post(clientPath(), { name: 'Kept' }, { Authorization: adminAuth() }, first.url);
      expect(created.status).toBe(201);
      client = created.json as unknown as ClientApplication;
      const invited = await post(
        invitePath(),
        {
          resourceType: 'Practitioner',
          firstName: 'Ke',
          lastName: 'Pt',
          email,
          password: 'kept-password-1',
          sendEmail: false,
        },
        { Authorization: adminAuth() },
        first.url
      );
      expect(invited.status).toBe(200);
    } finally {
      await first.stop();
    }

    const second = await startEmulator({ port: 0, seed: buildSeed(), dataFile, log: () => {} });
    try {
      const tokens = await fetch(
        `${second.url}oauth2/token`,
        form({
          grant_type: 'client_credentials',
          client_id: client.id as string,
          client_secret: client.secret as string,
        })
      );
      expect(tokens.status).toBe(200);
      const login = await post('auth/login', { email, password: 'kept-password-1', scope: 'openid' }, {}, second.url);
      expect(login.status).toBe(200);
      expect(login.json.login).toEqual(expect.any(String));
    } finally {
      await second.stop();
    }
  });
});

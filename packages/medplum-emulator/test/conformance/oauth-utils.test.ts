import { randomUUID } from 'node:crypto';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, expect } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { decodePayload, form, startTarget } from '../contract/target.ts';
import { adminClient, bob, buildSeed, PROJECT_ID, provisionedLike, webClient } from '../fixtures/seed.ts';
import { seedWith } from './harness.ts';
import type { MirrorOptions } from './mirror.ts';
import { mirrorOf } from './mirror.ts';

/**
 * Medplum's utils tests call tryLogin, validatePkce, getMembershipsForLogin and getAuthTokens directly. Ported here is
 * what of them shows over HTTP: `/auth/login` outcomes, which memberships a sign-in offers, and the email claim of the
 * tokens `/oauth2/token` signs. The newer vitest file (utils.int.test.ts) and the older jest one share most names.
 */
const newer = mirrorOf('packages/server/src/oauth/utils.int.test.ts', '92f124a68613c287a4afb4bb5c58183c1a21fe60');
const older = mirrorOf('packages/server/src/oauth/utils.test.ts', '00ea1ff8a090bdc748756e75d9a6b7f5ee597961');

const id = (n: number) => `00000000-0000-4000-8000-${(0xa00 + n).toString(16).padStart(12, '0')}`;
const meta = { project: PROJECT_ID };
const projectReference = { reference: `Project/${PROJECT_ID}` };

/** One active and one inactive membership. */
const quinn = { userId: id(1), email: 'quinn@example.com', password: 'quinn-pw-123', active: id(2), inactive: id(3) };
/** Two memberships, one without `active`. */
const rita = { userId: id(10), email: 'rita@example.com', password: 'rita-pw-1234', first: id(11), second: id(12) };
/** A User without an email address, signed in through token exchange by subject. */
const noEmail = { userId: id(20), profileId: id(21), membershipId: id(22), externalId: 'no-email-subject' };
const subjectClient = { id: id(30) };
provisionedLike(quinn, rita, noEmail, subjectClient);

function user(userId: string, email: string | undefined, password?: string): Resource {
  return {
    resourceType: 'User',
    id: userId,
    meta,
    firstName: 'Test',
    lastName: 'User',
    ...(email ? { email } : {}),
    ...(password ? { passwordHash: bcrypt.hashSync(password, 4) } : {}),
    project: projectReference,
  };
}

function patientMembership(membershipId: string, userId: string, fields: Record<string, unknown> = {}): Resource[] {
  const profileId = `${membershipId.slice(0, -3)}f${membershipId.slice(-2)}`;
  return [
    { resourceType: 'Patient', id: profileId, meta, name: [{ given: ['Test'], family: membershipId.slice(-3) }] },
    {
      resourceType: 'ProjectMembership',
      id: membershipId,
      meta,
      project: projectReference,
      user: { reference: `User/${userId}` },
      profile: { reference: `Patient/${profileId}` },
      ...fields,
    },
  ];
}

function extendedSeed(): Bundle {
  const seed = buildSeed();
  const extra: Resource[] = [
    user(quinn.userId, quinn.email, quinn.password),
    ...patientMembership(quinn.active, quinn.userId, { active: true }),
    ...patientMembership(quinn.inactive, quinn.userId, { active: false }),
    user(rita.userId, rita.email, rita.password),
    ...patientMembership(rita.first, rita.userId),
    ...patientMembership(rita.second, rita.userId, { active: true }),
    user(noEmail.userId, undefined),
    { resourceType: 'Patient', id: noEmail.profileId, meta },
    {
      resourceType: 'ProjectMembership',
      id: noEmail.membershipId,
      meta,
      project: projectReference,
      user: { reference: `User/${noEmail.userId}` },
      profile: { reference: `Patient/${noEmail.profileId}` },
      externalId: noEmail.externalId,
    },
    {
      resourceType: 'ClientApplication',
      id: subjectClient.id,
      meta,
      name: 'Subject exchange client',
      identityProvider: {
        authorizeUrl: 'https://idp.example.com/authorize',
        tokenUrl: 'https://idp.example.com/token',
        userInfoUrl: 'https://idp.example.com/userinfo',
        clientId: 'idp-client',
        clientSecret: 'idp-secret',
        useSubject: true,
      },
    },
  ];
  return seedWith(extra, seed);
}

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget({
    seed: extendedSeed(),
    // The identity provider's user info endpoint knows the User without an email address by its subject.
    fetch: async () =>
      new Response(JSON.stringify({ sub: noEmail.externalId }), { headers: { 'Content-Type': 'application/json' } }),
  });
});
afterAll(() => target.stop());

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function login(fields: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(`${target.baseUrl}auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(fields),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function token(fields: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${target.baseUrl}oauth2/token`, form(fields));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const bobLogin = () => ({ email: bob.email, password: bob.password });
type Issue = { severity?: string; details?: { text?: string }; expression?: string[] };
const firstIssue = (answer: Answer) => (answer.body.issue as Issue[] | undefined)?.[0];

/** Bob signs in with `scope` and a plain PKCE challenge; the code exchange answers his tokens. */
async function bobTokens(scope: string): Promise<Record<string, string>> {
  const signedIn = await login({ ...bobLogin(), scope, codeChallenge: 'xyz', codeChallengeMethod: 'plain' });
  expect(signedIn.status).toBe(200);
  const tokens = await token({
    grant_type: 'authorization_code',
    code: signedIn.body.code as string,
    code_verifier: 'xyz',
  });
  expect(tokens.status).toBe(200);
  return tokens.body as Record<string, string>;
}

interface Case {
  name: string;
  options?: MirrorOptions;
  run(): Promise<void>;
}

const shared: Case[] = [
  {
    name: 'Login with invalid client ID',
    run: async () => {
      const answer = await login({
        clientId: randomUUID(),
        email: 'admin@example.com',
        password: 'medplum_admin',
        scope: 'openid',
        nonce: 'nonce',
      });
      expect(firstIssue(answer)?.severity).toBe('error');
      expect(firstIssue(answer)?.details?.text).toBe('Not found');
    },
  },
  {
    name: 'User not found',
    run: async () => {
      const answer = await login({ email: 'user-not-found@example.com', password: 'medplum_admin', scope: 'openid' });
      expect(answer.status).toBe(400);
      expect(firstIssue(answer)?.severity).toBe('error');
      expect(firstIssue(answer)?.details?.text).toBe('User not found');
    },
  },
  {
    name: 'Login successfully',
    run: async () => {
      const answer = await login({ ...bobLogin(), clientId: adminClient.id, scope: 'openid', nonce: 'nonce' });
      expect(answer.status).toBe(200);
      expect(answer.body.login).toBeDefined();
    },
  },
  {
    name: 'Missing codeChallengeMethod',
    run: async () => {
      const answer = await login({ ...bobLogin(), scope: 'openid', codeChallenge: 'xyz' });
      expect(answer.status).toBe(400);
      expect(firstIssue(answer)?.expression?.[0]).toBe('code_challenge_method');
    },
  },
  {
    name: 'Missing codeChallenge',
    run: async () => {
      const answer = await login({ ...bobLogin(), clientId: webClient.id, codeChallengeMethod: 'plain' });
      expect(answer.status).toBe(400);
      expect(firstIssue(answer)?.expression?.[0]).toBe('code_challenge');
    },
  },
  {
    name: 'Invalid codeChallengeMethod',
    run: async () => {
      const answer = await login({
        ...bobLogin(),
        clientId: webClient.id,
        codeChallenge: 'xyz',
        codeChallengeMethod: 'xyz',
      });
      expect(answer.status).toBe(400);
      expect(firstIssue(answer)?.expression?.[0]).toBe('code_challenge_method');
    },
  },
  ...(['plain', 'S256'] as const).map(
    (method): Case => ({
      name: method === 'plain' ? 'Plain text code challenge method' : 'S256 code challenge method',
      run: async () => {
        const answer = await login({
          ...bobLogin(),
          clientId: webClient.id,
          codeChallenge: 'xyz',
          codeChallengeMethod: method,
        });
        expect(answer.status).toBe(200);
      },
    })
  ),
  {
    name: 'Client application PKCE optional',
    run: async () => {
      const answer = await login({ ...bobLogin(), clientId: adminClient.id, scope: 'openid', nonce: 'nonce' });
      expect(answer.status).toBe(200);
    },
  },
];

const newerOnly: Case[] = [
  {
    name: 'getMembershipsForLogin excludes inactive memberships',
    options: { seedBound: SEED_BOUND.users },
    run: async () => {
      const answer = await login({
        email: quinn.email,
        password: quinn.password,
        codeChallenge: 'xyz',
        codeChallengeMethod: 'plain',
      });
      expect(answer.status).toBe(200);
      // One membership left: the code comes at once, for the active profile.
      expect(answer.body.memberships).toBeUndefined();
      const tokens = await token({
        grant_type: 'authorization_code',
        code: answer.body.code as string,
        code_verifier: 'xyz',
      });
      expect(tokens.status).toBe(200);
      expect((tokens.body.profile as { reference: string }).reference).toBe(
        `Patient/${quinn.active.slice(0, -3)}f${quinn.active.slice(-2)}`
      );
    },
  },
  {
    name: 'getMembershipsForLogin includes memberships without active field',
    run: async () => {
      const answer = await login({ email: rita.email, password: rita.password });
      expect(answer.status).toBe(200);
      expect(answer.body.memberships).toHaveLength(2);
    },
  },
  {
    name: 'Access token includes email when email scope is requested for User',
    run: async () => {
      const tokens = await bobTokens('openid profile email');
      const access = decodePayload(tokens.access_token as string);
      expect(access.email).toBe(bob.email);
      expect(typeof access.login_id).toBe('string');
      expect(access.scope).toBe('openid profile email');
      expect(decodePayload(tokens.id_token as string).email).toBe(bob.email);
    },
  },
  {
    name: 'Access token does not include email when email scope is not requested',
    run: async () => {
      const tokens = await bobTokens('openid profile');
      const access = decodePayload(tokens.access_token as string);
      expect(access.email).toBeUndefined();
      expect(typeof access.login_id).toBe('string');
      expect(access.scope).toBe('openid profile');
      expect(decodePayload(tokens.id_token as string).email).toBeUndefined();
    },
  },
  {
    name: 'Access token does not include email for ClientApplication even with email scope',
    run: async () => {
      const tokens = await token({
        grant_type: 'client_credentials',
        client_id: target.client.id,
        client_secret: target.client.secret,
        scope: 'openid profile email',
      });
      expect(tokens.status).toBe(200);
      const access = decodePayload(tokens.body.access_token as string);
      expect(access.email).toBeUndefined();
      expect(typeof access.login_id).toBe('string');
      expect(access.scope).toBe('openid profile email');
      expect(decodePayload(tokens.body.id_token as string).email).toBeUndefined();
    },
  },
  {
    name: 'Access token does not include email when user has no email address',
    options: { seedBound: SEED_BOUND.users },
    run: async () => {
      const tokens = await token({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        client_id: subjectClient.id,
        subject_token: 'idp-access-token',
        scope: 'openid profile email',
      });
      expect(tokens.status).toBe(200);
      const access = decodePayload(tokens.body.access_token as string);
      expect(access.email).toBeUndefined();
      expect(typeof access.login_id).toBe('string');
      expect(access.scope).toBe('openid profile email');
      expect(decodePayload(tokens.body.id_token as string).email).toBeUndefined();
    },
  },
];

newer.describe(() => {
  for (const c of [...shared, ...newerOnly]) newer.it(c.name, c.options ?? {}, c.run);
});

older.describe(() => {
  for (const c of shared) older.it(c.name, c.options ?? {}, c.run);
});

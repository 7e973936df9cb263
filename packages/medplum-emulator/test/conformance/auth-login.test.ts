import { randomUUID } from 'node:crypto';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, expect } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { form, startTarget } from '../contract/target.ts';
import { bob, buildSeed, PROJECT_ID, provisionedLike, SECOND_PROJECT_ID, webClient } from '../fixtures/seed.ts';
import { seedWith } from './harness.ts';
import { mirrorOf } from './mirror.ts';

/**
 * /auth/login, as packages/server/src/auth/login.int.test.ts (the newest twin of login.test.ts) has it. Bob (one
 * membership) plays the test's invited practitioner.
 */
const meta = { project: PROJECT_ID };
const corsClient = { id: randomUUID(), allowedOrigin: 'https://allowed.example.com' };
const member = { email: `member${randomUUID()}@example.com`, password: 'my-new-password', policyId: randomUUID() };
const compartment = { reference: `Organization/${randomUUID()}` };
const mixedCase = { email: `Mixed-Case-${randomUUID()}@example.com`, password: 'password!@#' };
const inactive = { email: `inactive-${randomUUID()}@example.com`, password: 'password!@#' };
const google = { email: `google${randomUUID()}@example.com`, password: 'password!@#', projectId: randomUUID() };
provisionedLike(corsClient, member, mixedCase, inactive, google);

/** A practitioner User with one membership; `extra` is merged into the membership. */
function person(email: string, password: string, projectId: string, extra: Record<string, unknown> = {}): Resource[] {
  const userId = randomUUID();
  const practitionerId = randomUUID();
  return [
    {
      resourceType: 'User',
      id: userId,
      meta: { project: projectId },
      firstName: 'Test',
      lastName: 'User',
      email,
      passwordHash: bcrypt.hashSync(password, 4),
      project: { reference: `Project/${projectId}` },
    },
    { resourceType: 'Practitioner', id: practitionerId, meta: { project: projectId } },
    {
      resourceType: 'ProjectMembership',
      id: randomUUID(),
      meta: { project: projectId },
      project: { reference: `Project/${projectId}` },
      user: { reference: `User/${userId}` },
      profile: { reference: `Practitioner/${practitionerId}` },
      ...extra,
    } as Resource,
  ];
}

function extendedSeed(): Bundle {
  const seed = buildSeed();
  const extra: Resource[] = [
    {
      resourceType: 'ClientApplication',
      id: corsClient.id,
      meta,
      name: 'Test Client Application',
      secret: randomUUID(),
      redirectUris: ['https://example.com/'],
      allowedOrigin: [corsClient.allowedOrigin],
    },
    {
      resourceType: 'AccessPolicy',
      id: member.policyId,
      meta,
      name: 'Test Access Policy',
      compartment,
      resource: [{ resourceType: 'Patient', compartment }],
    },
    ...person(member.email, member.password, PROJECT_ID, {
      accessPolicy: { reference: `AccessPolicy/${member.policyId}` },
    }),
    ...person(mixedCase.email, mixedCase.password, PROJECT_ID),
    ...person(inactive.email, inactive.password, PROJECT_ID, { active: false }),
    {
      resourceType: 'Project',
      id: google.projectId,
      meta: { project: google.projectId },
      name: 'Require Google Auth',
      features: ['google-auth-required'],
    },
    ...person(google.email, google.password, google.projectId),
  ];
  return seedWith(extra, seed);
}

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget({ seed: extendedSeed() });
});
afterAll(() => target.stop());

interface AuthBody {
  login?: string;
  code?: string;
  memberships?: unknown[];
  issue?: { details?: { text?: string } }[];
}

interface Answer {
  status: number;
  body: AuthBody;
}

async function login(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${target.baseUrl}auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as AuthBody };
}

const medplum = mirrorOf('packages/server/src/auth/login.int.test.ts', '79cb239e6edd41f31badd5a8cf085342ae7c81a9');

medplum.describe(() => {
  medplum.it('Invalid client UUID', async () => {
    const res = await login({ clientId: '123', email: bob.email, password: bob.password, scope: 'openid' });
    expect(res.status).toBe(404);
  });

  medplum.it('Invalid client ID', async () => {
    const res = await login({
      clientId: 'e99126bb-c748-4c00-8d28-4e88dfb88278',
      email: bob.email,
      password: bob.password,
      scope: 'openid',
    });
    expect(res.status).toBe(404);
    expect(res.body.issue?.[0]?.details?.text).toBe('Not found');
  });

  medplum.it('Missing email', async () => {
    const res = await login({ email: '', password: bob.password, scope: 'openid' });
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Valid email address is required');
  });

  medplum.it('Invalid email', async () => {
    const res = await login({ email: 'xyz', password: bob.password, scope: 'openid' });
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Valid email address is required');
  });

  medplum.it('Missing password', async () => {
    const res = await login({ email: bob.email, password: '', scope: 'openid' });
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Password must be at least 8 characters');
  });

  medplum.it('Wrong password', async () => {
    const res = await login({ email: bob.email, password: 'wrong-password', scope: 'openid' });
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Email or password is invalid');
  });

  medplum.it('Wrong projectId', async () => {
    const res = await login({
      clientId: webClient.id,
      projectId: randomUUID(),
      email: bob.email,
      password: bob.password,
      scope: 'openid',
    });
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Invalid projectId');
  });

  medplum.it('Success with custom client', async () => {
    const res = await login({ clientId: webClient.id, email: bob.email, password: bob.password, scope: 'openid' });
    expect(res.status).toBe(200);
    expect(res.body.code).toBeDefined();
  });

  medplum.it('Success default client', async () => {
    const res = await login({ email: bob.email, password: bob.password, scope: 'openid' });
    expect(res.status).toBe(200);
    expect(res.body.code).toBeDefined();
  });

  medplum.it('Success new project', async () => {
    const res = await login({ email: bob.email, password: bob.password, scope: 'openid', projectId: 'new' });
    expect(res.status).toBe(200);
    expect(res.body.login).toBeDefined();
    expect(res.body.code).toBeUndefined();
  });

  medplum.it('Login with access policy', async () => {
    const res8 = await login({
      email: member.email,
      password: member.password,
      scope: 'openid offline_access',
      codeChallenge: 'xyz',
      codeChallengeMethod: 'plain',
    });
    expect(res8.status).toBe(200);
    expect(res8.body.code).toBeDefined();

    const tokenResponse = await fetch(
      `${target.baseUrl}oauth2/token`,
      form({ grant_type: 'authorization_code', code: res8.body.code as string, code_verifier: 'xyz' })
    );
    expect(tokenResponse.status).toBe(200);
    const res9 = (await tokenResponse.json()) as Record<string, unknown>;
    expect(res9.token_type).toBe('Bearer');
    expect(res9.scope).toBe('openid offline_access');
    expect(res9.expires_in).toBe(3600);
    expect(res9.id_token).toBeDefined();
    expect(res9.access_token).toBeDefined();
    expect(res9.refresh_token).toBeDefined();

    const headers = { Authorization: `Bearer ${res9.access_token}`, 'Content-Type': 'application/fhir+json' };
    const res10 = await fetch(`${target.baseUrl}fhir/R4/Patient`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ resourceType: 'Patient', name: [{ given: ['Access'], family: 'Test' }] }),
    });
    expect(res10.status).toBe(201);
    const patient = (await res10.json()) as { id: string };

    const res11 = await fetch(`${target.baseUrl}fhir/R4/Observation`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '1' }] },
        subject: { reference: `Patient/${patient.id}` },
      }),
    });
    expect(res11.status).toBe(403);
  });

  medplum.it('Require Google auth', { seedBound: SEED_BOUND.superAdmin }, async () => {
    const res8 = await login({ email: google.email, password: google.password, scope: 'openid offline_access' });
    expect(res8.status).toBe(400);
    expect(res8.body).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'invalid', details: { text: 'Google authentication is required' } }],
    });
  });

  medplum.it('Case insensitive email', async () => {
    for (const email of [mixedCase.email, mixedCase.email.toLowerCase()]) {
      const res = await login({
        email,
        password: mixedCase.password,
        scope: 'openid offline_access',
        codeChallenge: 'xyz',
        codeChallengeMethod: 'plain',
      });
      expect(res.status).toBe(200);
      expect(res.body.code).toBeDefined();
    }
  });

  medplum.it('No membership', async () => {
    const res = await login({
      email: bob.email,
      password: bob.password,
      scope: 'openid',
      projectId: SECOND_PROJECT_ID,
    });
    expect(res.status).toBe(400);
    expect(res.body.login).toBeUndefined();
    expect(res.body.code).toBeUndefined();
    expect(res.body.memberships).toBeUndefined();
    expect(res.body.issue?.[0]?.details?.text).toBe('User not found');
  });

  medplum.it('Inactive membership', async () => {
    const res = await login({
      email: inactive.email,
      password: inactive.password,
      scope: 'openid offline_access',
      codeChallenge: 'xyz',
      codeChallengeMethod: 'plain',
      projectId: PROJECT_ID,
    });
    expect(res.status).toBe(400);
    expect(res.body.login).toBeUndefined();
    expect(res.body.code).toBeUndefined();
    expect(res.body.memberships).toBeUndefined();
    expect(res.body.issue?.[0]?.details?.text).toBe('User not found');
  });

  medplum.it('Success with no origin', async () => {
    const res = await login({ clientId: corsClient.id, email: bob.email, password: bob.password, scope: 'openid' });
    expect(res.status).toBe(200);
    expect(res.body.code).toBeDefined();
  });

  medplum.it('Success with matching origin', async () => {
    const res = await login(
      { clientId: corsClient.id, email: bob.email, password: bob.password, scope: 'openid' },
      { Origin: corsClient.allowedOrigin }
    );
    expect(res.status).toBe(200);
    expect(res.body.code).toBeDefined();
  });

  medplum.it('Failure with unknown origin', async () => {
    const res = await login(
      { clientId: corsClient.id, email: bob.email, password: bob.password, scope: 'openid' },
      { Origin: 'https://unknown.example.com' }
    );
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Invalid origin');
  });
});

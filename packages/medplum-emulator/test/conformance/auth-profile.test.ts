import { randomUUID } from 'node:crypto';
import type { Bundle, Login, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, expect } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { startTarget } from '../contract/target.ts';
import { alice, aliceSecondMembershipId, bob, buildSeed } from '../fixtures/seed.ts';
import { seedWith } from './harness.ts';
import { mirrorOf } from './mirror.ts';

/**
 * /auth/profile, as packages/server/src/auth/profile.test.ts has it. Alice, with memberships in two projects, is the
 * test's user with two profiles. The logins Medplum's test edits in the database are seeded in that state.
 */
const revokedLoginId = randomUUID();
const grantedLoginId = randomUUID();
const profileSetLoginId = randomUUID();

function extendedSeed(): Bundle {
  const seed = buildSeed();
  const pending = (id: string, extra: Partial<Login>): Login => ({
    resourceType: 'Login',
    id,
    user: { reference: `User/${alice.userId}` },
    authMethod: 'password',
    authTime: new Date().toISOString(),
    scope: 'openid',
    ...extra,
  });
  const extra: Resource[] = [
    pending(revokedLoginId, { revoked: true }),
    pending(grantedLoginId, { granted: true }),
    pending(profileSetLoginId, { membership: { reference: `ProjectMembership/${randomUUID()}` } }),
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
  memberships?: { id: string; profile: { reference: string } }[];
  issue?: { details?: { text?: string } }[];
}

async function post(path: string, body: Record<string, unknown>): Promise<{ status: number; body: AuthBody }> {
  const response = await fetch(`${target.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as AuthBody };
}

const aliceProfile = () => `Practitioner/${alice.practitionerId}`;

async function aliceLogin(): Promise<AuthBody> {
  const res1 = await post('auth/login', { scope: 'openid', email: alice.email, password: alice.password });
  expect(res1.status).toBe(200);
  expect(res1.body.login).toBeDefined();
  expect(res1.body.code).toBeUndefined();
  expect(res1.body.memberships).toHaveLength(2);
  return res1.body;
}

const medplum = mirrorOf('packages/server/src/auth/profile.test.ts', '73b1a75da459b7c0317c4c6a5529c0c069742c4a');

medplum.describe(() => {
  medplum.it('Missing login', async () => {
    const res = await post('auth/profile', { profile: 'Practitioner/123' });
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Missing login');
  });

  medplum.it('Missing profile', async () => {
    const res = await post('auth/profile', { login: '123' });
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Missing profile');
  });

  medplum.it('Login not found', async () => {
    const res = await post('auth/profile', { login: randomUUID(), profile: aliceProfile() });
    expect(res.status).toBe(404);
    expect(res.body.issue?.[0]?.details?.text).toBe('Not found');
  });

  medplum.it('Login revoked', { seedBound: SEED_BOUND.login }, async () => {
    const res2 = await post('auth/profile', { login: revokedLoginId, profile: aliceProfile() });
    expect(res2.status).toBe(400);
    expect(res2.body.issue?.[0]?.details?.text).toBe('Login revoked');
  });

  medplum.it('Login granted', { seedBound: SEED_BOUND.login }, async () => {
    const res2 = await post('auth/profile', { login: grantedLoginId, profile: aliceProfile() });
    expect(res2.status).toBe(400);
    expect(res2.body.issue?.[0]?.details?.text).toBe('Login granted');
  });

  medplum.it('Login profile already set', { seedBound: SEED_BOUND.login }, async () => {
    const res2 = await post('auth/profile', { login: profileSetLoginId, profile: aliceProfile() });
    expect(res2.status).toBe(400);
    expect(res2.body.issue?.[0]?.details?.text).toBe('Login profile already set');
  });

  medplum.it('Membership not found', { seedBound: SEED_BOUND.secondProject }, async () => {
    const res1 = await aliceLogin();
    const references = res1.memberships?.map((m) => m.profile.reference);
    expect(references).toEqual([aliceProfile(), aliceProfile()]);
    const res2 = await post('auth/profile', { login: res1.login, profile: randomUUID() });
    expect(res2.status).toBe(400);
    expect(res2.body.issue?.[0]?.details?.text).toBe('Profile not found');
  });

  medplum.it('Membership for different user', { seedBound: SEED_BOUND.secondProject }, async () => {
    const res1 = await aliceLogin();
    const res2 = await post('auth/profile', { login: res1.login, profile: bob.membershipId });
    expect(res2.status).toBe(400);
    expect(res2.body.issue?.[0]?.details?.text).toBe('Invalid profile');
  });

  medplum.it('Success', { seedBound: SEED_BOUND.secondProject }, async () => {
    const res1 = await aliceLogin();
    expect(res1.memberships?.map((m) => m.id).sort()).toEqual([alice.membershipId, aliceSecondMembershipId].sort());
    const res2 = await post('auth/profile', { login: res1.login, profile: res1.memberships?.[0]?.id });
    expect(res2.status).toBe(200);
    expect(res2.body.code).toBeDefined();
  });
});

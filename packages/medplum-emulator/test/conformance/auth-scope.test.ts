import { randomUUID } from 'node:crypto';
import type { Bundle, Login, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, expect } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { startTarget } from '../contract/target.ts';
import { bob, buildSeed } from '../fixtures/seed.ts';
import { seedWith } from './harness.ts';
import { mirrorOf } from './mirror.ts';

/**
 * /auth/scope, as packages/server/src/auth/scope.int.test.ts (the newest twin of scope.test.ts) has it. Bob (one
 * membership) is the test's registered user; the logins Medplum's test edits in the database are seeded in that state.
 */
const revokedLoginId = randomUUID();
const grantedLoginId = randomUUID();
const noMembershipLoginId = randomUUID();

function extendedSeed(): Bundle {
  const seed = buildSeed();
  const bobLogin = (id: string, extra: Partial<Login>): Login => ({
    resourceType: 'Login',
    id,
    user: { reference: `User/${bob.userId}` },
    membership: { reference: `ProjectMembership/${bob.membershipId}` },
    authMethod: 'password',
    authTime: new Date().toISOString(),
    scope: 'openid profile',
    code: randomUUID(),
    ...extra,
  });
  const withoutMembership = bobLogin(noMembershipLoginId, {});
  delete withoutMembership.membership;
  const extra: Resource[] = [
    bobLogin(revokedLoginId, { revoked: true }),
    bobLogin(grantedLoginId, { granted: true }),
    withoutMembership,
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

async function bobLogin(scope: string): Promise<AuthBody> {
  const res1 = await post('auth/login', { scope, email: bob.email, password: bob.password });
  expect(res1.status).toBe(200);
  expect(res1.body.login).toBeDefined();
  expect(res1.body.code).toBeDefined();
  return res1.body;
}

const medplum = mirrorOf('packages/server/src/auth/scope.int.test.ts', '92f124a68613c287a4afb4bb5c58183c1a21fe60');

medplum.describe(() => {
  medplum.it('Missing login', async () => {
    const res = await post('auth/scope', { scope: 'openid profile' });
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Missing login');
  });

  medplum.it('Missing scope', async () => {
    const res = await post('auth/scope', { login: '123' });
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Missing scope');
  });

  medplum.it('Login not found', async () => {
    const res = await post('auth/scope', { login: randomUUID(), scope: 'openid profile' });
    expect(res.status).toBe(404);
    expect(res.body.issue?.[0]?.details?.text).toBe('Not found');
  });

  medplum.it('Login revoked', { seedBound: SEED_BOUND.login }, async () => {
    const res2 = await post('auth/scope', { login: revokedLoginId, scope: 'openid profile' });
    expect(res2.status).toBe(400);
    expect(res2.body.issue?.[0]?.details?.text).toBe('Login revoked');
  });

  medplum.it('Login granted', { seedBound: SEED_BOUND.login }, async () => {
    const res2 = await post('auth/scope', { login: grantedLoginId, scope: 'openid profile' });
    expect(res2.status).toBe(400);
    expect(res2.body.issue?.[0]?.details?.text).toBe('Login granted');
  });

  medplum.it('Missing membership', { seedBound: SEED_BOUND.login }, async () => {
    const res2 = await post('auth/scope', { login: noMembershipLoginId, scope: 'openid profile' });
    expect(res2.status).toBe(400);
    expect(res2.body.issue?.[0]?.details?.text).toBe('Login profile not set');
  });

  medplum.it('Success', async () => {
    const res1 = await bobLogin('openid profile');
    const res2 = await post('auth/scope', { login: res1.login, scope: 'openid profile' });
    expect(res2.status).toBe(200);
    expect(res2.body.code).toBeDefined();
  });

  medplum.it('Invalid scope', async () => {
    const res1 = await bobLogin('openid profile');
    const res2 = await post('auth/scope', {
      login: res1.login,
      scope: 'openid profile patient/Condition.rs?category=health-concern',
    });
    expect(res2.status).toBe(400);
    expect(res2.body.issue?.[0]?.details?.text).toBe('Invalid scope');
  });

  medplum.it('Allow selection of restricted scopes', async () => {
    const res1 = await bobLogin('openid profile patient/Condition.crs');
    const res2 = await post('auth/scope', { login: res1.login, scope: 'openid profile patient/Condition.read' });
    expect(res2.status).toBe(200);
    expect(res2.body.code).toBeDefined();
  });

  medplum.it('Allow selection of more granular scope', async () => {
    const res1 = await bobLogin('openid profile patient/Condition.rs');
    const res2 = await post('auth/scope', {
      login: res1.login,
      scope: 'openid profile patient/Condition.rs?category=health-concern',
    });
    expect(res2.status).toBe(200);
    expect(res2.body.code).toBeDefined();
  });

  medplum.it('Disallow selection of conflicting granular scope', async () => {
    const res1 = await bobLogin('openid profile patient/Condition.rs?encounter=Encounter/1');
    const res2 = await post('auth/scope', {
      login: res1.login,
      scope: 'openid profile patient/Condition.rs?category=health-concern',
    });
    expect(res2.status).toBe(400);
    expect(res2.body.issue?.[0]?.details?.text).toBe('Invalid scope');
  });
});

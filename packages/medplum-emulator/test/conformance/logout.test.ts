import { afterAll, beforeAll, expect } from 'vitest';
import type { ContractTarget } from '../contract/target.ts';
import { startTarget } from '../contract/target.ts';
import { bob } from '../fixtures/seed.ts';
import { passwordTokens } from './harness.ts';
import { mirrorOf } from './mirror.ts';

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

function logout(accessToken?: string): Promise<Response> {
  return fetch(`${target.baseUrl}oauth2/logout`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
    },
    body: '{}',
  });
}

function userinfo(accessToken: string): Promise<Response> {
  return fetch(`${target.baseUrl}oauth2/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });
}

const medplum = mirrorOf('packages/server/src/oauth/logout.test.ts', '161a94f1ff18862912fe3223a774425004791969');

medplum.describe(() => {
  medplum.it('Unauthenticated', async () => {
    expect((await logout()).status).toBe(401);
  });

  // Medplum registers a new user and project for this case; the emulator signs in a seeded user instead.
  medplum.it('Success', async () => {
    const { access_token } = await passwordTokens(target, {
      email: bob.email,
      password: bob.password,
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
    });

    expect((await userinfo(access_token)).status).toBe(200);
    expect((await logout(access_token)).status).toBe(200);
    expect((await userinfo(access_token)).status).toBe(401);
    expect((await logout(access_token)).status).toBe(401);
  });
});

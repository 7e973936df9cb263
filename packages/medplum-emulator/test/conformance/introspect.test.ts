import { afterAll, beforeAll, expect } from 'vitest';
import type { ContractTarget } from '../contract/target.ts';
import { form, startTarget } from '../contract/target.ts';
import { alice, bob } from '../fixtures/seed.ts';
import { passwordTokens } from './harness.ts';
import { mirrorOf } from './mirror.ts';

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

function signIn(
  scope = 'openid profile email phone address',
  user: { email: string; password: string } = alice
): Promise<Record<string, string>> {
  return passwordTokens(target, { ...user, scope });
}

/** `POST oauth2/introspect` with a JSON body, as supertest's `.send({...})` sends it. */
function introspect(body: Record<string, unknown>, accessToken?: string): Promise<Response> {
  return fetch(`${target.baseUrl}oauth2/introspect`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
    },
    body: JSON.stringify(body),
  });
}

const medplum = mirrorOf('packages/server/src/oauth/introspect.test.ts', '0207f46a8f63e111e02c864001cb704d13250d64');

medplum.describe(() => {
  medplum.it('Token introspection', async () => {
    const { access_token } = await signIn();
    const response = await introspect({ token: access_token }, access_token);
    expect(response.status).toBe(200);
    const result = (await response.json()) as Record<string, unknown>;
    expect(result.active).toEqual(true);
    expect(result.iss).toBeDefined();
    expect(result.sub).toBeDefined();
  });

  medplum.it('Token introspection rejects ID tokens', async () => {
    const tokens = await signIn('openid profile email phone address', bob);
    expect(tokens.id_token).toBeDefined();
    const response = await introspect({ token: tokens.id_token }, tokens.access_token);
    expect(response.status).toBe(200);
    expect(await response.json()).toStrictEqual({ active: false });
  });

  medplum.it('Introspection requires authentication', async () => {
    const { access_token } = await signIn();
    const response = await introspect({ token: access_token });
    expect(response.status).toBe(401);
  });

  medplum.it('Token introspection on rotated refresh token', async () => {
    const first = await signIn('openid offline_access', bob);
    expect(first.refresh_token).toBeDefined();
    const refreshed = await fetch(
      `${target.baseUrl}oauth2/token`,
      form({ grant_type: 'refresh_token', refresh_token: first.refresh_token as string })
    );
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as Record<string, string>;
    expect(second.refresh_token).toBeDefined();

    const old = await introspect({ token: first.refresh_token }, second.access_token);
    expect(old.status).toBe(200);
    expect(await old.json()).toStrictEqual({ active: false });

    const current = await introspect({ token: second.refresh_token }, second.access_token);
    expect(current.status).toBe(200);
    expect(((await current.json()) as { active: boolean }).active).toEqual(true);
  });

  medplum.it('Token introspection on revoked token', async () => {
    const { access_token } = await signIn();
    const logout = await fetch(`${target.baseUrl}oauth2/logout`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${access_token}` },
    });
    expect(logout.status).toBe(200);
    const caller = await signIn();
    const response = await introspect({ token: access_token }, caller.access_token);
    expect(response.status).toBe(200);
    expect(await response.json()).toStrictEqual({ active: false });
  });

  medplum.it('Token parameter required', async () => {
    const { access_token } = await signIn();
    const response = await introspect({}, access_token);
    expect(response.status).toBe(400);
  });
});

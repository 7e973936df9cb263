import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { REFRESH_GRACE_PERIOD_MS } from '../../src/oauth/token.ts';
import type { ContractTarget } from '../contract/target.ts';
import { decodePayload, form, startTarget } from '../contract/target.ts';
import { bob, deviceClient } from '../fixtures/seed.ts';
import { mirrorOf } from './mirror.ts';

const medplum = mirrorOf(
  'packages/server/src/oauth/refresh-token-grant.test.ts',
  '17e36701a6b58c170032b4ab7be5b7df124c5299'
);

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function post(path: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(`${target.baseUrl}${path}`, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Password sign-in with a confidential client and a plain PKCE challenge, then the code exchange. */
async function getTokens(): Promise<Record<string, string>> {
  const login = await post('auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      email: bob.email,
      password: bob.password,
      clientId: deviceClient.id,
      codeChallenge: 'xyz',
      codeChallengeMethod: 'plain',
      scope: 'openid offline_access',
    }),
  });
  expect(login.status).toBe(200);
  const tokens = await post(
    'oauth2/token',
    form({ grant_type: 'authorization_code', code: login.body.code as string, code_verifier: 'xyz' })
  );
  expect(tokens.status).toBe(200);
  expect(tokens.body.refresh_token).toBeDefined();
  return tokens.body as Record<string, string>;
}

function refresh(refreshToken: string): Promise<Answer> {
  return post('oauth2/token', form({ grant_type: 'refresh_token', refresh_token: refreshToken }));
}

async function searchPatients(accessToken: string): Promise<number> {
  const response = await fetch(`${target.baseUrl}fhir/R4/Patient`, {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  await response.body?.cancel();
  return response.status;
}

function refreshSecretOf(refreshToken: unknown): unknown {
  return decodePayload(refreshToken as string).refresh_secret;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const invalidRefreshToken = { error: 'invalid_request', error_description: 'Invalid refresh token' };
const tokenRevoked = { error: 'invalid_grant', error_description: 'Token revoked' };

medplum.describe(() => {
  medplum.it('Rejects a refresh token signed with "alg": "none"', async () => {
    const tokens = await getTokens();
    const payload = tokens.refresh_token?.split('.')[1];
    const res = await refresh(`${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`);
    expect(res).toEqual({ status: 400, body: invalidRefreshToken });
  });

  medplum.it('Rejects a refresh token re-signed with HS256', async () => {
    const tokens = await getTokens();
    const [originalHeader, payload] = (tokens.refresh_token as string).split('.');
    const { kid } = JSON.parse(Buffer.from(originalHeader as string, 'base64url').toString()) as { kid: string };
    const header = base64url({ alg: 'HS256', typ: 'JWT', kid });
    const signature = createHmac('sha256', 'secret').update(`${header}.${payload}`).digest('base64url');
    const res = await refresh(`${header}.${payload}.${signature}`);
    expect(res).toEqual({ status: 400, body: invalidRefreshToken });
  });

  medplum.it('Rejects a refresh token with a tampered payload', async () => {
    const tokens = await getTokens();
    const [header, , signature] = (tokens.refresh_token as string).split('.');
    const tampered = base64url({ ...decodePayload(tokens.refresh_token as string), login_id: randomUUID() });
    const res = await refresh(`${header}.${tampered}.${signature}`);
    expect(res).toEqual({ status: 400, body: invalidRefreshToken });
  });

  medplum.it('Rejects an access token presented as a refresh token', async () => {
    const tokens = await getTokens();
    expect(await refresh(tokens.access_token as string)).toEqual({ status: 400, body: invalidRefreshToken });
  });

  medplum.it('Rejects an ID token presented as a refresh token', async () => {
    const tokens = await getTokens();
    expect(await refresh(tokens.id_token as string)).toEqual({ status: 400, body: invalidRefreshToken });
  });

  medplum.it('Rejects a refresh token presented as a bearer access token', async () => {
    const tokens = await getTokens();
    expect(await searchPatients(tokens.refresh_token as string)).toBe(401);
  });

  medplum.it('Replaying a rotated refresh token revokes the login and its access tokens', async () => {
    const tokens = await getTokens();
    const rotated = await refresh(tokens.refresh_token as string);
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).toBeDefined();
    expect(rotated.body.refresh_token).not.toBe(tokens.refresh_token);
    expect(await searchPatients(rotated.body.access_token as string)).toBe(200);

    // Medplum's test moves the rotation out of the grace period; over HTTP the test waits it out.
    await new Promise((resolve) => setTimeout(resolve, REFRESH_GRACE_PERIOD_MS + 500));
    expect(await refresh(tokens.refresh_token as string)).toEqual({ status: 400, body: tokenRevoked });
    expect(await refresh(rotated.body.refresh_token as string)).toEqual({ status: 400, body: tokenRevoked });
    expect(await searchPatients(rotated.body.access_token as string)).toBe(401);
  });

  medplum.it('Concurrent refreshes with the same token rotate once and all succeed', async () => {
    const tokens = await getTokens();
    const responses = await Promise.all([1, 2, 3, 4, 5].map(() => refresh(tokens.refresh_token as string)));
    for (const res of responses) expect(res.status).toBe(200);

    // One rotation: every answer carries the same new secret, and the Login still works.
    const secrets = new Set(responses.map((res) => refreshSecretOf(res.body.refresh_token)));
    expect(secrets.size).toBe(1);
    expect(secrets.has(refreshSecretOf(tokens.refresh_token))).toBe(false);
    expect((await refresh(responses[0]?.body.refresh_token as string)).status).toBe(200);
  });

  medplum.it('Retry with the previous token within the grace period succeeds without rotating again', async () => {
    const tokens = await getTokens();
    const rotated = await refresh(tokens.refresh_token as string);
    expect(rotated.status).toBe(200);

    // As if the first response was lost and the client retried.
    const retry = await refresh(tokens.refresh_token as string);
    expect(retry.status).toBe(200);
    expect(refreshSecretOf(retry.body.refresh_token)).toBe(refreshSecretOf(rotated.body.refresh_token));

    // The chain continues from the current secret.
    expect((await refresh(retry.body.refresh_token as string)).status).toBe(200);
  });

  medplum.it('Confidential client can refresh without client authentication', async () => {
    const tokens = await getTokens();
    expect((await refresh(tokens.refresh_token as string)).status).toBe(200);
  });
});

import { createRemoteJWKSet, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ContractTarget } from '../contract/target.ts';
import { form, startTarget } from '../contract/target.ts';
import { bob } from '../fixtures/seed.ts';
import { mirrorOf } from './mirror.ts';

/**
 * Medplum's keys.test.ts calls the signing functions directly; what of it shows over HTTP is the tokens the token
 * endpoint signs (verifiable against the JWK Set, with `jti`, `login_id`, `nbf`, `email` by scope) and which tokens a
 * protected endpoint refuses.
 */
const medplum = mirrorOf('packages/server/src/oauth/keys.test.ts', '154258ed8dcd2d3965bbcecd919772c2ac50d9fa');

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

/** Bob (one membership) signs in with a plain PKCE challenge and exchanges the code. */
async function tokensFor(scope: string): Promise<Record<string, string>> {
  const login = await fetch(`${target.baseUrl}auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      email: bob.email,
      password: bob.password,
      codeChallenge: 'xyz',
      codeChallengeMethod: 'plain',
      scope,
    }),
  });
  expect(login.status).toBe(200);
  const { code } = (await login.json()) as { code: string };
  const response = await fetch(
    `${target.baseUrl}oauth2/token`,
    form({ grant_type: 'authorization_code', code, code_verifier: 'xyz' })
  );
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, string>;
}

async function verify(jwt: string): Promise<Record<string, unknown>> {
  const keys = createRemoteJWKSet(new URL(`${target.baseUrl}.well-known/jwks.json`));
  return (await jwtVerify(jwt, keys, { issuer: target.baseUrl })).payload as Record<string, unknown>;
}

async function meStatus(accessToken: string): Promise<number> {
  const response = await fetch(`${target.baseUrl}auth/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
  await response.body?.cancel();
  return response.status;
}

medplum.describe(() => {
  medplum.it('Missing kid', async () => {
    const { privateKey } = await generateKeyPair('ES384');
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES384', kid: '', typ: 'JWT' })
      .setIssuedAt()
      .setIssuer(target.baseUrl)
      .setAudience('my-audience')
      .setExpirationTime('1h')
      .sign(privateKey);
    expect(await meStatus(token)).toBe(401);
  });

  medplum.it('Key not found', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'my-kid', typ: 'JWT' })
      .setIssuedAt()
      .setIssuer(target.baseUrl)
      .setAudience('my-audience')
      .setExpirationTime('1h')
      .sign(privateKey);
    expect(await meStatus(token)).toBe(401);
  });

  for (const [name, field] of [
    ['Generate ID token', 'id_token'],
    ['Generate access token', 'access_token'],
    ['Generate refresh token', 'refresh_token'],
  ] as const) {
    medplum.it(name, async () => {
      const tokens = await tokensFor('openid offline_access');
      const claims = await verify(tokens[field] as string);
      expect(claims.jti).toBeDefined();
      expect(typeof claims.login_id).toBe('string');
    });
  }

  medplum.it('Tokens include NotBefore claim', async () => {
    const currentTime = Math.floor(Date.now() / 1000);
    const tokens = await tokensFor('openid offline_access');
    const access = await verify(tokens.access_token as string);
    expect(typeof access.nbf).toBe('number');
    expect(Math.abs((access.nbf as number) - currentTime)).toBeLessThan(5);
    expect(Math.abs((access.nbf as number) - (access.iat as number))).toBeLessThan(1);
    expect(typeof (await verify(tokens.id_token as string)).nbf).toBe('number');
    expect(typeof (await verify(tokens.refresh_token as string)).nbf).toBe('number');
  });

  medplum.it('Get signing key by algorithm', async () => {
    const tokens = await tokensFor('openid');
    const header = decodeProtectedHeader(tokens.access_token as string);
    expect(header.alg).toBe('ES384');
    const jwks = (await (await fetch(`${target.baseUrl}.well-known/jwks.json`)).json()) as {
      keys: { kid: string; alg: string }[];
    };
    expect(jwks.keys.find((key) => key.kid === header.kid)?.alg).toBe('ES384');
  });

  medplum.it('Generate access token with email', async () => {
    const tokens = await tokensFor('openid profile email');
    const claims = await verify(tokens.access_token as string);
    expect(typeof claims.login_id).toBe('string');
    expect(claims.email).toBe(bob.email);
  });

  medplum.it('Generate access token without email', async () => {
    const tokens = await tokensFor('openid profile');
    const claims = await verify(tokens.access_token as string);
    expect(typeof claims.login_id).toBe('string');
    expect(claims.email).toBeUndefined();
  });

  medplum.it('Generate ID token with email', async () => {
    const tokens = await tokensFor('openid profile email');
    const claims = await verify(tokens.id_token as string);
    expect(typeof claims.login_id).toBe('string');
    expect(claims.email).toBe(bob.email);
  });

  medplum.it('Generate ID token without email', async () => {
    const tokens = await tokensFor('openid profile');
    const claims = await verify(tokens.id_token as string);
    expect(typeof claims.login_id).toBe('string');
    expect(claims.email).toBeUndefined();
  });
});

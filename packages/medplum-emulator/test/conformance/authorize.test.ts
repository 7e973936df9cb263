import { afterAll, beforeAll, expect } from 'vitest';
import type { ContractTarget } from '../contract/target.ts';
import { form, startTarget } from '../contract/target.ts';
import { alice, webClient } from '../fixtures/seed.ts';
import { mirrorOf } from './mirror.ts';

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const redirectHost = new URL(webClient.redirectUri).host;

/** The parameters every Medplum case starts from: the client's own redirect URI, scope openid, plain PKCE. */
function baseParams(extra: Record<string, string> = {}): Record<string, string> {
  return {
    response_type: 'code',
    client_id: webClient.id,
    redirect_uri: webClient.redirectUri,
    scope: 'openid',
    code_challenge: 'xyz',
    code_challenge_method: 'plain',
    ...extra,
  };
}

function authorizeGet(params: Record<string, string>, cookie?: string): Promise<Response> {
  return fetch(`${target.baseUrl}oauth2/authorize?${new URLSearchParams(params).toString()}`, {
    redirect: 'manual',
    headers: cookie ? { Cookie: cookie } : {},
  });
}

function authorizePost(params: Record<string, string>): Promise<Response> {
  return fetch(`${target.baseUrl}oauth2/authorize`, { ...form(params), redirect: 'manual' });
}

function location(response: Response): URL {
  return new URL(response.headers.get('location') as string);
}

/** `POST auth/login` with the client, its code at the token endpoint; returns the tokens and the client cookie. */
async function signIn(): Promise<{ tokens: Record<string, string>; cookie: string }> {
  const login = await fetch(`${target.baseUrl}auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      clientId: webClient.id,
      email: alice.email,
      password: alice.password,
      scope: 'openid',
      codeChallenge: 'xyz',
      codeChallengeMethod: 'plain',
    }),
  });
  expect(login.status).toBe(200);
  const { code } = (await login.json()) as { code: string };
  expect(code).toBeDefined();
  const setCookies = login.headers.getSetCookie();
  expect(setCookies.length).toBe(1);
  const cookie = (setCookies[0] as string).split(';')[0] as string;
  const tokens = await fetch(
    `${target.baseUrl}oauth2/token`,
    form({ grant_type: 'authorization_code', code, code_verifier: 'xyz' })
  );
  expect(tokens.status).toBe(200);
  const json = (await tokens.json()) as Record<string, string>;
  expect(json.id_token).toBeDefined();
  return { tokens: json, cookie };
}

const medplum = mirrorOf('packages/server/src/oauth/authorize.test.ts', '29ecbf45b5a8712121b02ec0329c90c9598d12a2');

medplum.describe(() => {
  medplum.it('Client not found', async () => {
    const response = await authorizeGet(baseParams({ client_id: '123' }));
    expect(response.status).toBe(400);
  });

  medplum.it('Wrong redirect', async () => {
    const response = await authorizeGet(baseParams({ redirect_uri: 'https://example2.com' }));
    expect(response.status).toBe(400);
  });

  medplum.it('Invalid response_type', async () => {
    const response = await authorizeGet(baseParams({ response_type: 'xyz' }));
    expect(response.status).toBe(302);
    expect(location(response).searchParams.get('error')).toEqual('unsupported_response_type');
  });

  medplum.it('Unsupported request', async () => {
    const response = await authorizeGet(baseParams({ request: 'unsupported-request' }));
    expect(response.status).toBe(302);
    expect(location(response).searchParams.get('error')).toEqual('request_not_supported');
  });

  medplum.it('Missing scope', async () => {
    const { scope: _scope, ...params } = baseParams();
    const response = await authorizeGet(params);
    expect(response.status).toBe(302);
    expect(location(response).searchParams.get('error')).toEqual('invalid_request');
  });

  medplum.it('Missing code_challenge_method', async () => {
    const response = await authorizeGet(baseParams({ code_challenge_method: '' }));
    expect(response.status).toBe(302);
    expect(location(response).searchParams.get('error')).toEqual('invalid_request');
  });

  medplum.it('Invalid audience', async () => {
    const response = await authorizeGet(baseParams({ aud: 'https://example.com/invalid' }));
    expect(response.status).toBe(302);
    expect(location(response).searchParams.get('error')).toEqual('invalid_request');
  });

  medplum.it('Malformed audience', async () => {
    const response = await authorizeGet(baseParams({ aud: 'x' }));
    expect(response.status).toBe(302);
    expect(location(response).searchParams.get('error')).toEqual('invalid_request');
  });

  medplum.it('Server URL audience', async () => {
    const response = await authorizeGet(baseParams({ aud: target.baseUrl.replace(/\/$/, '') }));
    expect(response.status).toBe(302);
    expect(location(response).searchParams.get('error')).toBeNull();
  });

  medplum.it('FHIR URL audience', async () => {
    const response = await authorizeGet(baseParams({ aud: `${target.baseUrl}fhir/R4` }));
    expect(response.status).toBe(302);
    expect(location(response).searchParams.get('error')).toBeNull();
  });

  medplum.it('Success', async () => {
    const response = await authorizeGet(baseParams());
    expect(response.status).toBe(302);
  });

  medplum.it('prompt=none and no existing login', async () => {
    const response = await authorizeGet(baseParams({ prompt: 'none' }));
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBeDefined();
    expect(location(response).host).toBe(redirectHost);
    expect(location(response).searchParams.get('error')).toBe('login_required');
  });

  medplum.it('prompt=none success', async () => {
    const { cookie } = await signIn();
    const response = await authorizeGet(baseParams({ prompt: 'none' }), cookie);
    expect(response.status).toBe(302);
    expect(location(response).host).toBe(redirectHost);
    expect(location(response).searchParams.get('error')).toBeNull();
  });

  medplum.it('Revoked cookie', async () => {
    const { tokens, cookie } = await signIn();
    // Medplum revokes the Login directly; over HTTP that is a logout.
    const logout = await fetch(`${target.baseUrl}oauth2/logout`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    expect(logout.status).toBe(200);
    const response = await authorizeGet(baseParams({ prompt: 'none' }), cookie);
    expect(response.status).toBe(302);
    expect(location(response).host).toBe(redirectHost);
    expect(location(response).searchParams.get('error')).toBe('login_required');
  });

  medplum.it('Using id_token_hint', async () => {
    const { tokens } = await signIn();
    const response = await authorizeGet(baseParams({ id_token_hint: tokens.id_token as string }));
    expect(response.status).toBe(302);
    expect(location(response).host).toBe(redirectHost);
    expect(location(response).searchParams.get('error')).toBeNull();
    expect(location(response).searchParams.get('code')).not.toBeNull();
  });

  medplum.it('Invalid id_token_hint', async () => {
    const response = await authorizeGet(baseParams({ id_token_hint: 'invalid.jwt.invalid' }));
    expect(response.status).toBe(302);
    expect(location(response).host).not.toBe(redirectHost);
  });

  medplum.it('Post success', async () => {
    const response = await authorizePost(baseParams());
    expect(response.status).toBe(302);
    expect(location(response).searchParams.get('error')).toBeNull();
  });

  medplum.it('Post client not found', async () => {
    const response = await authorizePost(baseParams({ client_id: '123' }));
    expect(response.status).toBe(400);
  });
});

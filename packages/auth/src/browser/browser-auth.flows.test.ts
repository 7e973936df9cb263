import { ClientStorage, MemoryStorage } from '@medplum/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildAuthModel, withOverrides } from '../provisioning/model/index.ts';
import { DEV_OPTIONS } from '../provisioning/testing/config.ts';
import { stubBrowserWindow } from '../testing/browser.ts';
import { createBrowserAuth, describeAuthError } from './browser-auth.ts';

const config = {
  baseUrl: 'http://localhost:8103/',
  clientId: 'web-client-id',
  externalAuth: { authorizeUrl: 'http://localhost:8104/authorize', clientId: 'medplum-web' },
};

const modelRedirectUris = buildAuthModel(
  withOverrides(DEV_OPTIONS, { web: { clientId: 'web-client-id' }, bcryptRounds: 4 })
).redirectUris;

beforeEach(stubBrowserWindow);

interface Call {
  path: string;
  body: string | undefined;
  headers: Headers;
}

function b64url(value: unknown) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function setup(handlers: Record<string, (body: string | undefined) => Response> = {}) {
  const calls: Call[] = [];
  const assigned: string[] = [];
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input : input.url);
    const body = typeof init?.body === 'string' ? init.body : undefined;
    calls.push({ path: url.pathname, body, headers: new Headers(init?.headers) });
    const handler = handlers[url.pathname];
    if (handler) return handler(body);
    if (url.pathname === '/oauth2/token') {
      const exp = Math.floor(Date.now() / 1000) + 60;
      return json({
        access_token: `${b64url({ alg: 'none' })}.${b64url({ exp, client_id: 'web-client-id', login_id: 'l1' })}.s`,
        refresh_token: 'r1',
        token_type: 'Bearer',
        expires_in: 60,
        project: { reference: 'Project/p1' },
        profile: { reference: 'Practitioner/pr1' },
      });
    }
    if (url.pathname === '/auth/me') {
      return json({
        profile: { resourceType: 'Practitioner', id: 'pr1' },
        project: { resourceType: 'Project', id: 'p1' },
      });
    }
    if (url.pathname === '/oauth2/logout') return json({ resourceType: 'OperationOutcome', id: 'ok', issue: [] });
    return json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }, 404);
  };
  const storage = new ClientStorage(new MemoryStorage(), 'test:');
  const location = { origin: 'http://localhost:3000', search: '', assign: (url: string) => assigned.push(url) };
  const auth = createBrowserAuth({ ...config, fetch, storage, location });
  return { auth, calls, assigned, storage, json };
}

describe('redirect URIs match the web ClientApplication exactly', () => {
  it('every flow sends the callback URL, which the model registers', async () => {
    const { auth, calls } = setup();
    const authorize = new URL(await auth.authorizeUrl());
    expect(modelRedirectUris).toContain(authorize.searchParams.get('redirect_uri'));
    const external = new URL(await auth.externalAuthUrl());
    expect(modelRedirectUris).toContain(JSON.parse(external.searchParams.get('state') ?? '{}').redirectUri);
    await auth.handleCallback('?login=l1&code=abc');
    const form = new URLSearchParams(calls.find((c) => c.path === '/oauth2/token')?.body);
    expect(modelRedirectUris).toContain(form.get('redirect_uri'));
  });
});

describe('describeAuthError', () => {
  it("turns the OperationOutcome of a refused password (SignInForm's auth/login) into a message fit for the page", async () => {
    const { auth, calls, json } = setup({
      '/auth/login': () =>
        json(
          {
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'invalid', details: { text: 'Email or password is invalid' } }],
          },
          400
        ),
    });
    const error = await auth.medplum
      .startLogin({ email: 'a@example.com', password: 'wrong-pass', clientId: 'web-client-id' })
      .catch((e) => e);
    expect(describeAuthError(error)).toBe('Email or password is invalid');
    expect(calls.some((c) => c.path === '/oauth2/token')).toBe(false);
  });
});

describe('signInWithRedirect and signInWithExternalAuth', () => {
  it('redirect: Medplum authorize with PKCE S256 and the stored state', async () => {
    const { auth, assigned, storage } = setup();
    await auth.signInWithRedirect();
    const url = new URL(assigned[0] ?? '');
    expect(`${url.origin}${url.pathname}`).toBe('http://localhost:8103/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'web-client-id',
      redirect_uri: 'http://localhost:3000/auth/callback',
      code_challenge_method: 'S256',
      state: storage.getString('pkceState'),
    });
  });

  it('external: the IdP authorize URL with the IdP client id, back through <medplum>/auth/external', async () => {
    const { auth, assigned, storage } = setup();
    await auth.signInWithExternalAuth();
    const url = new URL(assigned[0] ?? '');
    expect(`${url.origin}${url.pathname}`).toBe('http://localhost:8104/authorize');
    expect(url.searchParams.get('client_id')).toBe('medplum-web');
    expect(url.searchParams.get('redirect_uri')).toBe('http://localhost:8103/auth/external');
    expect(url.searchParams.get('scope')).toContain('email');
    // No PKCE towards the IdP (Medplum would forward the challenge as its verifier) ...
    expect(url.searchParams.has('code_challenge')).toBe(false);
    // ... but the Medplum login in `state` is bound to this browser's verifier.
    const state = JSON.parse(url.searchParams.get('state') ?? '{}');
    expect(state).toMatchObject({
      clientId: 'web-client-id',
      codeChallengeMethod: 'S256',
      redirectUri: 'http://localhost:3000/auth/callback',
    });
    expect(storage.getString('codeVerifier')).toBeDefined();
  });

  it('external without an identity provider in the options: refused before any PKCE value is stored', async () => {
    const storage = new ClientStorage(new MemoryStorage(), 'test:');
    const location = { origin: 'http://localhost:3000', search: '', assign: () => {} };
    const auth = createBrowserAuth({ baseUrl: config.baseUrl, clientId: config.clientId, storage, location });
    await expect(auth.signInWithExternalAuth()).rejects.toThrow('no external identity provider');
    expect(storage.getString('codeVerifier')).toBeUndefined();
  });
});

describe('callback handling', () => {
  it('?error= becomes an error result without any request', async () => {
    const { auth, calls } = setup();
    expect(await auth.handleCallback('?error=access_denied&error_description=User%20cancelled')).toEqual({
      status: 'error',
      error: 'access_denied',
      description: 'User cancelled',
    });
    expect(calls).toHaveLength(0);
  });

  it('a state that this browser did not start is refused before the code is used', async () => {
    const { auth, calls } = setup();
    await auth.authorizeUrl();
    const result = await auth.handleCallback('?code=abc&state=forged');
    expect(result).toMatchObject({ status: 'error', error: 'state_mismatch' });
    expect(calls).toHaveLength(0);
  });

  it('a code without state (and not from the external flow) is refused while a sign-in is pending', async () => {
    const { auth, calls, storage } = setup();
    await auth.authorizeUrl();
    expect(storage.getString('pkceState')).toBeDefined();
    expect(await auth.handleCallback('?code=planted')).toEqual({
      status: 'error',
      error: 'state_missing',
      description: 'This sign-in came back without its state',
    });
    expect(calls).toHaveLength(0);
  });

  it('the model registers only the callback path of the web origin, never its root', () => {
    expect(modelRedirectUris.every((uri) => new URL(uri).pathname === '/auth/callback')).toBe(true);
  });

  it('?code=&state= from the redirect flow signs in', async () => {
    const { auth, storage } = setup();
    await auth.authorizeUrl();
    const state = storage.getString('pkceState');
    expect(await auth.handleCallback(`?code=abc&state=${state}`)).toMatchObject({ status: 'signed-in' });
    expect(storage.getString('pkceState')).toBeUndefined();
  });

  it('?login=&code= from the external flow signs in', async () => {
    const { auth } = setup();
    await auth.externalAuthUrl();
    expect(await auth.handleCallback('?login=l1&code=abc')).toMatchObject({ status: 'signed-in' });
  });

  it('a rejected code is an error result', async () => {
    const { auth, json } = setup({
      '/oauth2/token': () => json({ error: 'invalid_request', error_description: 'Invalid code' }, 400),
    });
    expect(await auth.handleCallback('?login=l1&code=used')).toEqual({
      status: 'error',
      error: 'invalid_grant',
      description: 'Invalid code',
    });
  });

  it('?login= alone is a pending login; nothing is nothing', async () => {
    const { auth } = setup();
    expect(await auth.handleCallback('?login=l1')).toEqual({ status: 'login-pending', login: 'l1' });
    expect(await auth.handleCallback('')).toEqual({ status: 'none' });
  });
});

describe('sign-out', () => {
  it('revokes the login and clears the stored tokens', async () => {
    const { auth, calls, storage } = setup();
    await auth.handleCallback('?login=l1&code=abc');
    expect(storage.getString('activeLogin')).toBeDefined();
    await auth.signOut();
    expect(calls.at(-1)?.path).toBe('/oauth2/logout');
    expect(storage.getString('activeLogin')).toBeUndefined();
    expect(auth.medplum.getAccessToken()).toBeUndefined();
  });

  it('clears the tokens even when the revocation fails', async () => {
    const { auth, storage, json } = setup({ '/oauth2/logout': () => json({ error: 'boom' }, 500) });
    await auth.handleCallback('?login=l1&code=abc');
    await expect(auth.signOut()).rejects.toThrow();
    expect(storage.getString('activeLogin')).toBeUndefined();
  });
});

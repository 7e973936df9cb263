import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningIdentityProvider } from './index.ts';
import { startIdentityProvider } from './index.ts';

// What Medplum's server uses: redirect_uri=<baseUrl>auth/external, client_secret_basic by default.
const CLIENT_ID = 'medplum-emulator';
const CLIENT_SECRET = 'acme-dev-secret-1234';
const REDIRECT_URI = 'http://localhost:8103/auth/external';
const EMAIL = 'Alice.Smith@example.com';
const PASSWORD = 'correct horse battery staple';

let idp: RunningIdentityProvider;
const logLines: string[] = [];

beforeAll(async () => {
  idp = await startIdentityProvider({
    port: 0,
    clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI], name: 'Medplum' }],
    users: [{ email: EMAIL, password: PASSWORD, name: 'Alice Smith' }],
    log: (line) => logLines.push(line),
  });
});

afterAll(async () => {
  await idp?.stop();
});

/** A minimal cookie jar: name → value, every cookie sent everywhere (all on one host here). */
class CookieJar {
  readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k, v] = a.split('=');
        return k?.trim().toLowerCase() === 'expires' && v !== undefined && Date.parse(v) <= Date.now();
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

async function get(url: string, jar: CookieJar): Promise<Response> {
  const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.store(response);
  return response;
}

async function postForm(url: string, jar: CookieJar, form: Record<string, string>): Promise<Response> {
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  jar.store(response);
  return response;
}

function location(response: Response): string {
  const value = response.headers.get('location');
  if (!value) throw new Error(`expected a redirect, got ${response.status}`);
  return new URL(value, idp.issuer).href;
}

function authorizeUrl(params: Record<string, string> = {}): string {
  const url = new URL(idp.authorizeUrl);
  const all = {
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email',
    state: JSON.stringify({ clientId: 'medplum-web', projectId: 'p1' }),
    ...params,
  };
  for (const [k, v] of Object.entries(all)) url.searchParams.set(k, v);
  return url.href;
}

/** authorize → sign-in page; returns the jar and the page's URL. */
async function openSignInPage(params: Record<string, string> = {}) {
  const jar = new CookieJar();
  const start = await get(authorizeUrl(params), jar);
  expect(start.status).toBe(303);
  const pageUrl = location(start);
  expect(new URL(pageUrl).pathname).toMatch(/^\/interaction\/[\w-]+$/);
  return { jar, pageUrl };
}

/** The whole browser leg: authorize → sign-in page → credentials → redirect to the client with a code. */
async function signInForCode(params: Record<string, string> = {}) {
  const { jar, pageUrl } = await openSignInPage(params);
  const page = await get(pageUrl, jar);
  expect(page.status).toBe(200);
  const signedIn = await postForm(`${pageUrl}/login`, jar, { email: EMAIL, password: PASSWORD });
  expect(signedIn.status).toBe(303);
  let next = location(signedIn);
  // back to the authorization endpoint, which now redirects to the client
  while (next.startsWith(idp.issuer)) {
    next = location(await get(next, jar));
  }
  const callback = new URL(next);
  expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback.search}`);
  return { code, callback };
}

function basic(id = CLIENT_ID, secret = CLIENT_SECRET): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/** The token request exactly as Medplum's server sends it (auth/external.ts). */
async function redeem(code: string, extra: Record<string, string> = {}, authorization: string | null = basic()) {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Content-Type': 'application/x-www-form-urlencoded',
  };
  if (authorization) headers.Authorization = authorization;
  const response = await fetch(idp.tokenUrl, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ grant_type: 'authorization_code', redirect_uri: REDIRECT_URI, code, ...extra }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('discovery', () => {
  test('publishes the endpoints returned by startIdentityProvider, and a signing key', async () => {
    expect(idp.issuer).toMatch(/^http:\/\/localhost:\d+$/);
    const response = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: idp.issuer,
      authorization_endpoint: idp.authorizeUrl,
      token_endpoint: idp.tokenUrl,
      userinfo_endpoint: idp.userInfoUrl,
      jwks_uri: idp.jwksUrl,
      code_challenge_methods_supported: ['S256'],
    });
    expect(doc.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post'])
    );
    expect(doc.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email']));

    const jwks = (await (await fetch(idp.jwksUrl)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) });
    expect(jwks.keys[0]).not.toHaveProperty('d'); // public part only
  });
});

describe('authorization code flow', () => {
  test('sign-in → code → token (Basic) → ID token verified against the JWKS → userinfo', async () => {
    const { code, callback } = await signInForCode();
    expect(JSON.parse(callback.searchParams.get('state') ?? '')).toEqual({ clientId: 'medplum-web', projectId: 'p1' });

    const { status, body } = await redeem(code);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      token_type: 'Bearer',
      access_token: expect.any(String),
      id_token: expect.any(String),
    });

    const idToken = body.id_token as string;
    expect(decodeProtectedHeader(idToken)).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
    const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(idp.jwksUrl)), {
      issuer: idp.issuer,
      audience: CLIENT_ID,
    });
    expect(payload).toMatchObject({
      sub: EMAIL.toLowerCase(),
      email: EMAIL,
      email_verified: true,
      name: 'Alice Smith',
    });
    await expect(
      jwtVerify(idToken, createRemoteJWKSet(new URL(idp.jwksUrl)), { issuer: 'http://localhost:1' })
    ).rejects.toThrow();

    const userinfo = await fetch(idp.userInfoUrl, { headers: { Authorization: `Bearer ${body.access_token}` } });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toMatchObject({ sub: EMAIL.toLowerCase(), email: EMAIL, email_verified: true });
    // never the password, nor its digest, in anything issued
    expect(JSON.stringify(payload)).not.toContain(PASSWORD);
  });

  test('client_secret_post works too, and a code works only once', async () => {
    const { code } = await signInForCode();
    const first = await redeem(code, { client_id: CLIENT_ID, client_secret: CLIENT_SECRET }, null);
    expect(first.status).toBe(200);
    const again = await redeem(code, { client_id: CLIENT_ID, client_secret: CLIENT_SECRET }, null);
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  test("email is in the ID token even when the app passes Medplum's own scope", async () => {
    const { code } = await signInForCode({ scope: 'openid offline_access' });
    const { body } = await redeem(code);
    const { payload } = await jwtVerify(body.id_token as string, createRemoteJWKSet(new URL(idp.jwksUrl)), {
      issuer: idp.issuer,
    });
    expect(payload.email).toBe(EMAIL);
  });

  test('PKCE is optional for the confidential client, but enforced once a challenge was sent', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const pkce = { code_challenge: challenge, code_challenge_method: 'S256' };

    const missing = await redeem((await signInForCode(pkce)).code);
    expect(missing).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const wrong = await redeem((await signInForCode(pkce)).code, { code_verifier: `${verifier}x` });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const right = await redeem((await signInForCode(pkce)).code, { code_verifier: verifier });
    expect(right.status).toBe(200);
  });

  test('the sign-in page is our own, escaped, and not cacheable or frameable', async () => {
    const { jar, pageUrl } = await openSignInPage({ login_hint: '"><script>alert(1)</script>' });
    const page = await get(pageUrl, jar);
    const html = await page.text();
    expect(html).toContain('Acme SSO');
    expect(html).toContain('continue to <strong>Medplum</strong>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  test('cancel returns access_denied to the client, without a code', async () => {
    const { jar, pageUrl } = await openSignInPage({ state: 's1' });
    let next = location(await postForm(`${pageUrl}/abort`, jar, {}));
    while (next.startsWith(idp.issuer)) next = location(await get(next, jar));
    const callback = new URL(next);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('s1');
    expect(callback.searchParams.has('code')).toBe(false);
  });
});

describe('rejections', () => {
  test('a wrong password shows the error and issues no code', async () => {
    const { jar, pageUrl } = await openSignInPage();
    const failed = await postForm(`${pageUrl}/login`, jar, { email: EMAIL, password: 'wrong' });
    expect(failed.status).toBe(401);
    expect(failed.headers.get('location')).toBeNull();
    const html = await failed.text();
    expect(html).toContain('Invalid email or password.');
    expect(html).toContain(`value="${EMAIL}"`);
    expect(html).not.toContain('wrong"');

    // authorizing again with the same browser only leads to a new sign-in page, not to the client
    const resumed = await get(authorizeUrl(), jar);
    const newPage = location(resumed);
    expect(new URL(newPage).pathname).toMatch(/^\/interaction\//);
    // the right password (email case-insensitive) then goes through
    const ok = await postForm(`${newPage}/login`, jar, { email: EMAIL.toUpperCase(), password: PASSWORD });
    expect(ok.status).toBe(303);
  });

  test('an unknown email gets the same answer as a wrong password', async () => {
    const { jar, pageUrl } = await openSignInPage();
    const failed = await postForm(`${pageUrl}/login`, jar, { email: 'nobody@example.com', password: PASSWORD });
    expect(failed.status).toBe(401);
    expect(await failed.text()).toContain('Invalid email or password.');
  });

  test('a wrong client secret, or none, is rejected at the token endpoint', async () => {
    const { code } = await signInForCode();
    const wrongBasic = await redeem(code, {}, basic(CLIENT_ID, 'not-the-secret'));
    expect(wrongBasic).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const wrongPost = await redeem(code, { client_id: CLIENT_ID, client_secret: 'not-the-secret' }, null);
    expect(wrongPost).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const none = await redeem(code, { client_id: CLIENT_ID }, null);
    expect(none).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const unknown = await redeem(code, {}, basic('someone-else', CLIENT_SECRET));
    expect(unknown).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    // the code was not burnt by the failed attempts
    expect((await redeem(code)).status).toBe(200);
  });

  test('an unregistered or inexact redirect_uri is refused on the IdP, not redirected to', async () => {
    for (const redirectUri of [
      'http://localhost:8103/auth/external/',
      'http://localhost:8103/auth/externalx',
      'http://evil.example/auth/external',
    ]) {
      const response = await fetch(authorizeUrl({ redirect_uri: redirectUri }), { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('redirect_uri');
    }
  });

  test('redirect_uri is required even with a single registered URI', async () => {
    const url = new URL(authorizeUrl());
    url.searchParams.delete('redirect_uri');
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });

  test('an unknown client is refused', async () => {
    const response = await fetch(authorizeUrl({ client_id: 'unknown-client' }), { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('invalid_client');
  });

  test('the token request must name the same redirect_uri', async () => {
    const { code } = await signInForCode();
    const mismatch = await redeem(code, { redirect_uri: 'http://localhost:8103/other' });
    expect(mismatch).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  test('userinfo refuses a missing or forged access token', async () => {
    expect((await fetch(idp.userInfoUrl)).status).toBe(401);
    const forged = await fetch(idp.userInfoUrl, { headers: { Authorization: 'Bearer forged-token' } });
    expect(forged.status).toBe(401);
  });

  test('interaction pages need the interaction cookie; no dev interactions exist', async () => {
    const { pageUrl } = await openSignInPage();
    const noCookie = await fetch(pageUrl, { redirect: 'manual' });
    expect(noCookie.status).toBe(400);
    expect(await noCookie.text()).toContain('sign-in session expired');
    const loginWithoutCookie = await fetch(`${pageUrl}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: EMAIL, password: PASSWORD }),
      redirect: 'manual',
    });
    expect(loginWithoutCookie.status).toBe(400);
    const getLogin = await fetch(`${pageUrl}/login`, { redirect: 'manual' });
    expect(getLogin.status).toBe(405);
  });

  test('the login form accepts only a form post', async () => {
    const { jar, pageUrl } = await openSignInPage();
    const response = await fetch(`${pageUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header(), 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    expect(response.status).toBe(400);
  });

  test('logs never carry secrets or passwords', () => {
    const all = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(0);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(CLIENT_SECRET);
  });
});

describe('lifecycle', () => {
  test('stop closes the server, keep-alive sockets included', async () => {
    const other = await startIdentityProvider({ port: 0, clients: [], users: [] });
    expect((await fetch(`${other.issuer}/.well-known/openid-configuration`)).status).toBe(200);
    await other.stop();
    await expect(fetch(`${other.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
  });

  test('a port already in use is an error, not a silent second server', async () => {
    const port = Number(new URL(idp.issuer).port);
    await expect(startIdentityProvider({ port, clients: [], users: [] })).rejects.toThrow(
      new RegExp(
        `^Port ${port} on 127\\.0\\.0\\.1 is already in use, so the identity provider cannot start\\..*IDP_PORT`
      )
    );
  });

  test('an explicit issuer is used as given', async () => {
    const other = await startIdentityProvider({ port: 0, issuer: 'http://127.0.0.1:9', clients: [], users: [] });
    try {
      expect(other.issuer).toBe('http://127.0.0.1:9');
      expect(other.tokenUrl).toBe('http://127.0.0.1:9/token');
    } finally {
      await other.stop();
    }
  });
});

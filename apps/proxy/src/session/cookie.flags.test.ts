import { describe, expect, it } from 'vitest';
import { apiHeaders, ORIGIN, PASSWORD, PUBLIC_SITE_ENV, signIn } from '../../test/helpers.ts';
import { unitApp } from '../../test/unit-app.ts';
import { createCookieCodec } from './cookie.ts';

function attributes(setCookie: string) {
  const [pair = '', ...rest] = setCookie.split(';').map((part) => part.trim());
  return { name: pair.split('=')[0], value: pair.slice(pair.indexOf('=') + 1), flags: rest };
}

async function signInResponse(app: ReturnType<typeof unitApp>['app'], origin = ORIGIN, cookie?: string) {
  return app.request('/api/session', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-CSRF': '1',
      Origin: origin,
      ...(cookie ? { Cookie: cookie } : {}),
    },
    body: JSON.stringify({ username: 'clinician', password: PASSWORD }),
  });
}

describe('session cookie flags', () => {
  it('over HTTPS: __Host- prefix, Secure, HttpOnly, SameSite=Strict, Path=/, no Domain', async () => {
    const { app } = unitApp({ env: PUBLIC_SITE_ENV, medplumClientSecret: PUBLIC_SITE_ENV.PROXY_MEDPLUM_CLIENT_SECRET });
    const response = await signInResponse(app, 'https://clinic.example');
    const cookie = attributes(response.headers.get('set-cookie') ?? '');
    expect(cookie.name).toBe('__Host-legacy_session');
    expect(cookie.flags).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'Secure', 'SameSite=Strict']));
    expect(cookie.flags.some((flag) => flag.toLowerCase().startsWith('domain'))).toBe(false);
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=/);
  });

  it('over plain HTTP (local dev): no prefix and no Secure, still HttpOnly and SameSite=Strict', async () => {
    const { app } = unitApp();
    const response = await signInResponse(app);
    const cookie = attributes(response.headers.get('set-cookie') ?? '');
    expect(cookie.name).toBe('legacy_session');
    expect(cookie.flags).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Strict']));
    expect(cookie.flags).not.toContain('Secure');
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('holds only an encrypted opaque id: no user name, no token, no JSON', async () => {
    const { app, config, medplum } = unitApp();
    await app.request('/readyz');
    const response = await signInResponse(app);
    const { value } = attributes(response.headers.get('set-cookie') ?? '');
    expect(value).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(value).not.toContain('clinician');
    const token = JSON.stringify(medplum.requests.map((r) => r.headers.get('authorization')));
    expect(token).not.toContain(value);
    const id = createCookieCodec(config.PROXY_SESSION_SECRET).open(value);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createCookieCodec('another-secret-another-secret-another-secret').open(value)).toBeUndefined();
  });
});

describe('sessions', () => {
  it('no session → 401 on the API, 303 to /login on pages', async () => {
    const { app } = unitApp();
    const api = await app.request('/api/fhir/Patient', { headers: apiHeaders() });
    expect(api.status).toBe(401);
    expect(await api.json()).toEqual({ error: 'unauthenticated' });
    const me = await app.request('/api/me', { headers: apiHeaders() });
    expect(me.status).toBe(401);
    const page = await app.request('/patients');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login');
  });

  it('a forged or tampered cookie is no session', async () => {
    const { app } = unitApp();
    const cookie = await signIn(app);
    const tampered = `${cookie.slice(0, -2)}${cookie.endsWith('A') ? 'B' : 'A'}A`;
    for (const value of [tampered, 'legacy_session=v1.AAAA', 'legacy_session=clinician']) {
      const response = await app.request('/api/me', { headers: apiHeaders(value) });
      expect(response.status).toBe(401);
    }
  });

  it('sign-in issues a new session id every time and ends the one the browser had', async () => {
    const { app } = unitApp();
    const first = await signIn(app);
    const second = (await signInResponse(app, ORIGIN, first)).headers.get('set-cookie')?.split(';')[0] ?? '';
    expect(second).not.toBe(first);
    expect((await app.request('/api/me', { headers: apiHeaders(first) })).status).toBe(401);
    expect((await app.request('/api/me', { headers: apiHeaders(second) })).status).toBe(200);
  });

  it('sign-out ends the session server side and clears the cookie', async () => {
    const { app } = unitApp();
    const cookie = await signIn(app);
    const out = await app.request('/api/session', { method: 'DELETE', headers: apiHeaders(cookie) });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^legacy_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
    // A copy of the old cookie is worthless now.
    expect((await app.request('/api/me', { headers: apiHeaders(cookie) })).status).toBe(401);
  });

  it('idle expiry: a session unused for the idle time is gone; use keeps it alive', async () => {
    let now = 1_000_000;
    const { app } = unitApp({ now: () => now, settings: { sessionIdleMs: 60_000, sessionAbsoluteMs: 3_600_000 } });
    const cookie = await signIn(app);
    now += 59_000;
    expect((await app.request('/api/me', { headers: apiHeaders(cookie) })).status).toBe(200);
    now += 59_000;
    expect((await app.request('/api/me', { headers: apiHeaders(cookie) })).status).toBe(200);
    now += 60_000;
    expect((await app.request('/api/me', { headers: apiHeaders(cookie) })).status).toBe(401);
  });

  it('absolute expiry: activity does not extend a session past its lifetime', async () => {
    let now = 1_000_000;
    const { app } = unitApp({ now: () => now, settings: { sessionIdleMs: 60_000, sessionAbsoluteMs: 150_000 } });
    const cookie = await signIn(app);
    for (let i = 0; i < 3; i++) {
      now += 45_000;
      expect((await app.request('/api/me', { headers: apiHeaders(cookie) })).status).toBe(200);
    }
    now += 20_000;
    expect((await app.request('/api/me', { headers: apiHeaders(cookie) })).status).toBe(401);
  });

  it('/api/me returns profile data only, never a token', async () => {
    const { app } = unitApp();
    const cookie = await signIn(app);
    const body = await (await app.request('/api/me', { headers: apiHeaders(cookie) })).json();
    expect(body).toEqual({
      user: {
        username: 'clinician',
        displayName: 'Dr. Test',
        role: 'Clinician',
        medplumProfile: { reference: 'Practitioner/p-clin', display: 'Dr. Test' },
      },
    });
  });

  it('wrong password → 401 and no cookie; repeated failures → 429 for that user name', async () => {
    const { app } = unitApp({ settings: { signInFailuresPerWindow: 3 } });
    const attempt = (password: string) =>
      app.request('/api/session', {
        method: 'POST',
        headers: apiHeaders(undefined, { 'Content-Type': 'application/json' }),
        body: JSON.stringify({ username: 'clinician', password }),
      });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt('wrong')).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect((await attempt(PASSWORD)).status).toBe(429);
    const unknown = await app.request('/api/session', {
      method: 'POST',
      headers: apiHeaders(undefined, { 'Content-Type': 'application/json' }),
      body: JSON.stringify({ username: 'nobody', password: 'x' }),
    });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('set-cookie')).toBeNull();
  });
});

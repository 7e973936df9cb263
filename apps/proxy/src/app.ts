/**
 * The legacy clinic app's backend-for-frontend: `createApp(config)` builds it, `server.ts` only listens. Tests call
 * `app.request()` in process.
 *
 * Request pipeline (registration order matters in Hono):
 *   request id + access log → security headers → /healthz, /readyz, /assets/* → session from the cookie →
 *   /api/*: CSRF (X-CSRF + Origin) → body size limit → sign in (guarded before any password hashing) / sign out →
 *   session required (401) → rate limits per session, user and client address (429) → /api/me, /api/fhir/* (allowlist,
 *   else 404) →
 *   pages: session required (303 to /login) → the same rate limits → /patients, /patients/:id
 */
import { randomUUID } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import { clientCredentials, createServiceClient, type ServiceClient } from '@org/auth/server';
import { isLoopbackUrl } from '@org/config';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { InputError, matchAllowlist } from './api/allowlist.ts';
import { type ForwardResult, forwardToMedplum } from './api/forward.ts';
import { DEFAULT_SETTINGS, type ProxyConfig, type ProxySettings, publicSite } from './config.ts';
import { jsonLogger, type Logger } from './log.ts';
import { APP_CSS, APP_JS } from './pages/assets.ts';
import { loginPage, patientPage, patientsPage } from './pages/pages.ts';
import { csrfProtection } from './security/csrf.ts';
import { securityHeaders } from './security/headers.ts';
import { createRateLimiter } from './security/rate-limit.ts';
import { createSignInGuard } from './security/sign-in-guard.ts';
import { createCookieCodec, readCookie, serializeSessionCookie, sessionCookieSpec } from './session/cookie.ts';
import { createSessionStore, type Session } from './session/store.ts';
import { resolveMembership } from './users/membership.ts';
import { createUserStore, devUsers, type LegacyUser, type MedplumIdentity, type UserSeed } from './users/store.ts';

export interface AppDeps {
  /** The Medplum service client; by default one is made from the config (client credentials). */
  medplum?: ServiceClient;
  /** fetch of the default service client (tests count token requests with it). */
  fetch?: typeof fetch;
  /** The legacy app's users; default: the seeded dev users. */
  users?: readonly UserSeed[];
  settings?: Partial<ProxySettings>;
  logger?: Logger;
  /** Clock of sessions, rate limits and token expiry. */
  now?: () => number;
  /**
   * The client's address, for per-address limits. Default: the TCP peer. Behind a load balancer, return the address
   * it reports (e.g. the last hop it appends to X-Forwarded-For) — never a header the client itself can set.
   */
  clientAddress?: (c: Context) => string;
}

function socketAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // not served by @hono/node-server (in-process tests)
  }
}

export type AppEnv = {
  Variables: {
    requestId: string;
    session: Session | undefined;
    user: LegacyUser | undefined;
    /** For the access log. */
    reason: string | undefined;
    upstream: number | string | undefined;
  };
};

const JSON_TYPES = ['application/json', 'application/fhir+json'];

function isJson(c: Context): boolean {
  const type = c.req.header('Content-Type')?.split(';')[0]?.trim().toLowerCase();
  return type !== undefined && JSON_TYPES.includes(type);
}

async function readJson(c: Context): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  if (!isJson(c)) return { ok: false, response: c.json({ error: 'unsupported_media_type' }, 415) };
  try {
    return { ok: true, value: await c.req.json() };
  } catch {
    return { ok: false, response: c.json({ error: 'bad_request', message: 'invalid JSON' }, 400) };
  }
}

function publicUser(user: LegacyUser) {
  return {
    username: user.username,
    displayName: user.displayName,
    role: user.role,
    medplumProfile: { reference: user.medplum.profile, display: user.medplum.profileDisplay },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createApp(config: ProxyConfig, deps: AppDeps = {}): Hono<AppEnv> {
  const settings: ProxySettings = { ...DEFAULT_SETTINGS, ...deps.settings };
  const now = deps.now ?? (() => Date.now());
  const log = deps.logger ?? jsonLogger;
  const site = publicSite(config);
  const medplum =
    deps.medplum ??
    createServiceClient({
      baseUrl: config.MEDPLUM_BASE_URL,
      credentials: clientCredentials({
        clientId: config.PROXY_MEDPLUM_CLIENT_ID,
        clientSecret: config.PROXY_MEDPLUM_CLIENT_SECRET,
      }),
      now,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      log: (line) => log({ level: 'info', msg: line }),
    });
  const usersReady = createUserStore(deps.users ?? devUsers(config), settings.passwordCost);
  const lifetimes = {
    idleMs: settings.sessionIdleMs,
    absoluteMs: settings.sessionAbsoluteMs,
    maxPerUser: settings.maxSessionsPerUser,
  };
  const sessions = createSessionStore(lifetimes, now);
  const clientAddress = deps.clientAddress ?? socketAddress;
  const codec = createCookieCodec(config.PROXY_SESSION_SECRET);
  const cookie = sessionCookieSpec(site);
  const perSession = createRateLimiter(settings.rateLimitPerSession, settings.rateLimitWindowMs, now);
  const perUser = createRateLimiter(settings.rateLimitPerUser, settings.rateLimitWindowMs, now);
  const perAddress = createRateLimiter(settings.rateLimitPerAddress, settings.rateLimitWindowMs, now);
  const signInGuard = createSignInGuard(
    {
      failuresPerUserAndAddress: settings.signInFailuresPerWindow,
      attemptsPerAddress: settings.signInAttemptsPerAddress,
      windowMs: settings.signInWindowMs,
      maxConcurrentChecks: settings.maxConcurrentSignIns,
    },
    now
  );

  const app = new Hono<AppEnv>();

  // --- Request id and access log (no headers, cookies, bodies or query strings are logged) ---------------------------
  app.use('*', async (c, next) => {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    const started = performance.now();
    await next();
    c.header('X-Request-Id', requestId);
    const status = c.res.status;
    const user = c.get('user')?.username;
    const reason = c.get('reason');
    const upstream = c.get('upstream');
    log({
      level: status >= 500 ? 'error' : status === 403 || status === 429 ? 'warn' : 'info',
      msg: 'request',
      requestId,
      method: c.req.method,
      path: c.req.path.slice(0, 200),
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...(user ? { user } : {}),
      ...(reason ? { reason } : {}),
      ...(upstream !== undefined ? { upstream } : {}),
    });
  });
  app.onError((error, c) => {
    // The error's name only: messages can carry URLs with search terms.
    log({ level: 'error', msg: 'unhandled error', requestId: c.get('requestId'), reason: error.name });
    return c.req.path.startsWith('/api/') ? c.json({ error: 'internal_error' }, 500) : c.text('Internal error', 500);
  });
  app.use('*', securityHeaders(site.https));

  // --- Health -----------------------------------------------------------------------------------------------------
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await withTimeout(medplum.ready(), 5_000);
      return c.json({ status: 'ready' });
    } catch (error) {
      c.set('reason', `token-unavailable:${error instanceof Error ? error.name : 'error'}`);
      return c.json({ status: 'unavailable' }, 503);
    }
  });

  app.get('/assets/app.js', (c) => c.body(APP_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/assets/app.css', (c) => c.body(APP_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' }));

  // --- Session from the cookie -----------------------------------------------------------------------------------
  app.use('*', async (c, next) => {
    const id = codec.open(readCookie(c.req.header('Cookie'), cookie.name));
    const session = id ? sessions.touch(id) : undefined;
    const user = session ? (await usersReady).get(session.username) : undefined;
    if (session && user) {
      c.set('session', session);
      c.set('user', { ...user, medplum: session.medplum });
    }
    await next();
  });

  // Per session, per user (all their sessions: signing in again gives no fresh budget) and per client address.
  const rateLimited = (c: Context<AppEnv>, session: Session): Response | undefined => {
    const wait = Math.max(perSession.hit(session.id), perUser.hit(session.username), perAddress.hit(clientAddress(c)));
    if (!wait) return undefined;
    c.set('reason', 'rate-limited');
    c.header('Retry-After', String(wait));
    return c.req.path.startsWith('/api/')
      ? c.json({ error: 'too_many_requests' }, 429)
      : c.text('Too many requests', 429);
  };

  // --- JSON API ---------------------------------------------------------------------------------------------------
  app.use(
    '/api/*',
    csrfProtection(site.origin, (c, reason) => c.set('reason', reason))
  );
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: settings.maxBodyBytes,
      onError: (c) => {
        c.set('reason', 'body-too-large');
        return c.json({ error: 'payload_too_large' }, 413);
      },
    })
  );

  // Sign in: a new session (and id) every time; a session the browser already had is ended first.
  app.post('/api/session', async (c) => {
    const input = await readJson(c);
    if (!input.ok) return input.response;
    const { username, password } = (input.value ?? {}) as { username?: unknown; password?: unknown };
    if (
      typeof username !== 'string' ||
      typeof password !== 'string' ||
      username.length > 128 ||
      password.length > 128
    ) {
      return c.json({ error: 'bad_request', message: 'username and password (strings) are required' }, 400);
    }
    const attempt = signInGuard.begin(username, clientAddress(c));
    if (!attempt.ok) {
      c.set('reason', attempt.reason);
      c.header('Retry-After', String(attempt.retryAfterSeconds));
      return c.json({ error: attempt.status === 429 ? 'too_many_attempts' : 'busy' }, attempt.status);
    }
    let user: LegacyUser | undefined;
    try {
      user = await (await usersReady).authenticate(username, password);
    } finally {
      attempt.finish(user !== undefined);
    }
    if (!user) {
      c.set('reason', 'bad-credentials');
      return c.json({ error: 'invalid_credentials' }, 401);
    }
    let identity: MedplumIdentity;
    try {
      identity = await resolveMembership(medplum, user.medplum);
    } catch (error) {
      c.set('reason', `membership-lookup:${error instanceof Error ? error.name : 'error'}`);
      return c.json({ error: 'medplum_unavailable' }, 503);
    }
    const previous = c.get('session');
    if (previous) sessions.delete(previous.id);
    const session = sessions.create(user.username, identity);
    c.set('session', session);
    c.set('user', { ...user, medplum: identity });
    c.header('Set-Cookie', serializeSessionCookie(cookie, codec.seal(session.id), settings.sessionAbsoluteMs / 1000));
    return c.json({ user: publicUser({ ...user, medplum: identity }) });
  });

  // Sign out: the server-side session is deleted (a copied cookie is worthless from now on) and the cookie cleared.
  app.delete('/api/session', (c) => {
    const session = c.get('session');
    if (session) sessions.delete(session.id);
    c.header('Set-Cookie', serializeSessionCookie(cookie, '', 0));
    return c.body(null, 204);
  });

  app.use('/api/*', async (c, next) => {
    const session = c.get('session');
    if (!session) {
      c.set('reason', 'no-session');
      return c.json({ error: 'unauthenticated' }, 401);
    }
    const limited = rateLimited(c, session);
    if (limited) return limited;
    await next();
  });

  // Profile data only, never a token (the BFF's "/bff/user").
  app.get('/api/me', (c) => c.json({ user: publicUser(c.get('user') as LegacyUser) }));

  app.all('/api/fhir/*', async (c) => {
    const user = c.get('user') as LegacyUser;
    const url = new URL(c.req.url);
    const matched = matchAllowlist(c.req.method, url.pathname.slice('/api/fhir/'.length), url.searchParams);
    if (matched.kind === 'not-allowed') {
      c.set('reason', 'not-allowlisted');
      return c.json({ error: 'not_found' }, 404);
    }
    if (matched.kind === 'bad-query') {
      c.set('reason', 'bad-query');
      return c.json({ error: 'bad_request', message: matched.message }, 400);
    }
    const { route, upstreamPath } = matched.match;
    let body: unknown;
    if (route.body) {
      const input = await readJson(c);
      if (!input.ok) return input.response;
      try {
        body = route.body(input.value, { user, now: new Date(now()) });
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        c.set('reason', 'bad-body');
        return c.json({ error: 'bad_request', message: error.message }, 400);
      }
    }
    const result = await forwardToMedplum(medplum, user, { method: route.method, path: upstreamPath, body });
    c.set('upstream', result.upstream);
    if (result.retryAfter) c.header('Retry-After', String(result.retryAfter));
    return c.json(result.body as object, result.status as ContentfulStatusCode);
  });

  app.all('/api/*', (c) => {
    c.set('reason', 'not-allowlisted');
    return c.json({ error: 'not_found' }, 404);
  });

  // --- Pages ------------------------------------------------------------------------------------------------------
  /** Pages read through the same allowlist as the API. */
  const callAllowlisted = async (
    user: LegacyUser,
    path: string,
    query: Record<string, string> = {}
  ): Promise<ForwardResult> => {
    const matched = matchAllowlist('GET', path, new URLSearchParams(query));
    if (matched.kind === 'not-allowed') return { status: 404, body: { error: 'not_found' }, upstream: 'none' };
    if (matched.kind === 'bad-query') return { status: 400, body: { error: matched.message }, upstream: 'none' };
    return forwardToMedplum(medplum, user, { method: 'GET', path: matched.match.upstreamPath });
  };

  const devHint = isLoopbackUrl(config.MEDPLUM_BASE_URL)
    ? `Local development: sign in as "${config.LEGACY_DEV_USERNAME}" (clinician) or "reception" (patient list only), both with LEGACY_DEV_PASSWORD (see .env.example).`
    : undefined;

  app.get('/', (c) => c.redirect(c.get('user') ? '/patients' : '/login', 303));
  app.get('/login', (c) => (c.get('user') ? c.redirect('/patients', 303) : c.html(loginPage(devHint))));

  const requirePageSession: MiddlewareHandler<AppEnv> = async (c, next) => {
    const session = c.get('session');
    if (!session) {
      c.set('reason', 'no-session');
      return c.redirect('/login', 303);
    }
    const limited = rateLimited(c, session);
    if (limited) return limited;
    await next();
  };
  app.use('/patients', requirePageSession);
  app.use('/patients/*', requirePageSession);

  app.get('/patients', async (c) => {
    const user = c.get('user') as LegacyUser;
    const name = c.req.query('name')?.trim() || undefined;
    const result = await callAllowlisted(user, 'Patient', { _count: '50', _sort: 'family', ...(name ? { name } : {}) });
    c.set('upstream', result.upstream);
    return c.html(patientsPage(user, result, name));
  });

  app.get('/patients/:id', async (c) => {
    const user = c.get('user') as LegacyUser;
    const id = c.req.param('id');
    const subject = { subject: `Patient/${id}`, _sort: '-_lastUpdated', _count: '50' };
    const [patient, reports, observations, notes] = await Promise.all([
      callAllowlisted(user, `Patient/${id}`),
      callAllowlisted(user, 'DiagnosticReport', subject),
      callAllowlisted(user, 'Observation', subject),
      callAllowlisted(user, 'Communication', subject),
    ]);
    c.set('upstream', patient.upstream);
    const status = patient.status === 200 ? 200 : patient.status;
    return c.html(patientPage(user, id, { patient, reports, observations, notes }), status as ContentfulStatusCode);
  });

  app.notFound((c) => c.text('Not found', 404));
  return app;
}

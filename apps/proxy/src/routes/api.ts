import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { endTime, startTime } from 'hono/timing';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { InputError, matchAllowlist } from '../api/allowlist.ts';
import { forwardToMedplum } from '../api/forward.ts';
import type { AppEnv, ProxyContext } from '../context.ts';
import { requireSession } from '../middleware/session.ts';
import { csrfProtection } from '../security/csrf.ts';
import { serializeSessionCookie } from '../session/cookie.ts';
import { resolveMembership } from '../users/membership.ts';
import type { LegacyUser, MedplumIdentity } from '../users/store.ts';

/**
 * The JSON API under /api: CSRF (X-CSRF + Origin) → body size limit → sign in / sign out → session and request
 * budgets (401 / 429) → /me and the allowlisted /fhir/* calls, made as the proxy's ClientApplication on behalf of the
 * user. Anything else is 404 without reaching Medplum.
 */
export function apiRoutes(ctx: ProxyContext): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  api.use(
    '*',
    csrfProtection(ctx.site.origin, (c, reason) => c.set('reason', reason))
  );
  api.use(
    '*',
    bodyLimit({
      maxSize: ctx.settings.maxBodyBytes,
      onError: (c) => {
        c.set('reason', 'body-too-large');
        return c.json({ error: 'payload_too_large' }, 413);
      },
    })
  );
  api.post('/session', (c) => signIn(ctx, c));
  // Sign out: the server-side session is deleted (a copied cookie is worthless from now on) and the cookie cleared.
  api.delete('/session', async (c) => {
    const session = c.get('session');
    if (session) await ctx.sessions.delete(session);
    c.header('Set-Cookie', serializeSessionCookie(ctx.cookie, '', 0));
    return c.body(null, 204);
  });

  api.use(
    '*',
    requireSession((c) => c.json({ error: 'unauthenticated' }, 401))
  );
  // Profile data only, never a token (the BFF's "/bff/user").
  api.get('/me', (c) => c.json({ user: publicUser(c.get('user') as LegacyUser) }));
  api.all('/fhir/*', (c) => forwardAllowlisted(ctx, c));
  api.all('*', (c) => {
    c.set('reason', 'not-allowlisted');
    return c.json({ error: 'not_found' }, 404);
  });
  return api;
}

/** Sign in: limits before any password hashing, then a new session (and id); a session the browser had is ended. */
async function signIn(ctx: ProxyContext, c: Context<AppEnv>): Promise<Response> {
  const input = await readJson(c);
  if (!input.ok) return input.response;
  const { username, password } = (input.value ?? {}) as { username?: unknown; password?: unknown };
  if (typeof username !== 'string' || typeof password !== 'string' || username.length > 128 || password.length > 128) {
    return c.json({ error: 'bad_request', message: 'username and password (strings) are required' }, 400);
  }
  const attempt = await ctx.signInGuard.begin(username, ctx.clientAddress(c));
  if (!attempt.ok) {
    c.set('reason', attempt.reason);
    c.header('Retry-After', String(attempt.retryAfterSeconds));
    return c.json({ error: attempt.status === 429 ? 'too_many_attempts' : 'busy' }, attempt.status);
  }
  let user: LegacyUser | undefined;
  try {
    user = await (await ctx.users).authenticate(username, password);
  } finally {
    await attempt.finish(user !== undefined);
  }
  if (!user) {
    c.set('reason', 'bad-credentials');
    return c.json({ error: 'invalid_credentials' }, 401);
  }
  let identity: MedplumIdentity;
  try {
    identity = await resolveMembership(ctx.medplum, user.medplum);
  } catch (error) {
    c.set('reason', `membership-lookup:${error instanceof Error ? error.name : 'error'}`);
    return c.json({ error: 'medplum_unavailable' }, 503);
  }
  const previous = c.get('session');
  if (previous) await ctx.sessions.delete(previous);
  const session = await ctx.sessions.create(user.username, identity);
  c.set('session', session);
  c.set('user', { ...user, medplum: identity });
  const cookie = serializeSessionCookie(ctx.cookie, ctx.codec.seal(session.id), ctx.settings.sessionAbsoluteMs / 1000);
  c.header('Set-Cookie', cookie);
  return c.json({ user: publicUser({ ...user, medplum: identity }) });
}

async function forwardAllowlisted(ctx: ProxyContext, c: Context<AppEnv>): Promise<Response> {
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
      body = route.body(input.value, { user, now: new Date(ctx.now()) });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      c.set('reason', 'bad-body');
      return c.json({ error: 'bad_request', message: error.message }, 400);
    }
  }
  startTime(c, 'upstream');
  const result = await forwardToMedplum(ctx.medplum, user, { method: route.method, path: upstreamPath, body });
  endTime(c, 'upstream');
  c.set('upstream', result.upstream);
  if (result.retryAfter) c.header('Retry-After', String(result.retryAfter));
  return c.json(result.body as object, result.status as ContentfulStatusCode);
}

const JSON_TYPES = ['application/json', 'application/fhir+json'];

async function readJson(c: Context): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  const type = c.req.header('Content-Type')?.split(';')[0]?.trim().toLowerCase();
  if (type === undefined || !JSON_TYPES.includes(type)) {
    return { ok: false, response: c.json({ error: 'unsupported_media_type' }, 415) };
  }
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

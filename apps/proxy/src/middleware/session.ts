import type { Context, MiddlewareHandler } from 'hono';
import { endTime, startTime } from 'hono/timing';
import type { AppEnv, ProxyContext } from '../context.ts';
import { readCookie } from '../session/cookie.ts';
import type { Session } from '../session/store.ts';

/** The session (and its user) from the encrypted cookie, when there is a live one; never an error. */
export function sessionFromCookie(ctx: ProxyContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    startTime(c, 'session');
    const id = ctx.codec.open(readCookie(c.req.header('Cookie'), ctx.cookie.name));
    const session = id ? await ctx.sessions.touch(id) : undefined;
    const user = session ? (await ctx.users).get(session.username) : undefined;
    endTime(c, 'session');
    if (session && user) {
      c.set('session', session);
      c.set('user', { ...user, medplum: session.medplum });
    }
    await next();
  };
}

/**
 * A live session, then the request budgets: per session, per user over all their sessions (signing in again gives no
 * fresh budget) and per client address. `refuse` answers a request without a session (401 for the API, a redirect to
 * the sign-in page for pages).
 */
export function requireSession(ctx: ProxyContext, refuse: (c: Context<AppEnv>) => Response): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const session = c.get('session');
    if (!session) {
      c.set('reason', 'no-session');
      return refuse(c);
    }
    const limited = await overBudget(ctx, c, session);
    if (limited) return limited;
    await next();
  };
}

async function overBudget(ctx: ProxyContext, c: Context<AppEnv>, session: Session): Promise<Response | undefined> {
  const { perSession, perUser, perAddress } = ctx.budgets;
  // All three counted at once: one round trip to a shared store, not three.
  const waits = await Promise.all([
    perSession.hit(session.id),
    perUser.hit(session.username),
    perAddress.hit(ctx.clientAddress(c)),
  ]);
  const wait = Math.max(...waits);
  if (!wait) return undefined;
  c.set('reason', 'rate-limited');
  c.header('Retry-After', String(wait));
  return c.req.path.startsWith('/api/')
    ? c.json({ error: 'too_many_requests' }, 429)
    : c.text('Too many requests', 429);
}

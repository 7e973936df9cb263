import type { Context, MiddlewareHandler } from 'hono';
import { endTime, startTime } from 'hono/timing';
import type { AppEnv, ProxyContext } from '../context.ts';
import { readCookie } from '../session/cookie.ts';

/**
 * The session (and its user) from the encrypted cookie, when there is a live one. Opening it also counts the request on
 * the session's budgets — per session, per user over all their sessions (signing in again gives no fresh budget) and
 * per client address — in the same step (one round trip to a shared store); `requireSession` enforces them. A store
 * that cannot be reached is an error (503), never "no session".
 */
export function sessionFromCookie(ctx: ProxyContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    startTime(c, 'session');
    const id = ctx.codec.open(readCookie(c.req.header('Cookie'), ctx.cookie.name));
    const opened = id ? await ctx.sessions.open(id, ctx.clientAddress(c)) : undefined;
    const user = opened ? (await ctx.users).get(opened.session.username) : undefined;
    endTime(c, 'session');
    if (opened && user) {
      c.set('session', opened.session);
      c.set('user', { ...user, medplum: opened.session.medplum });
      c.set('budgetWait', opened.wait);
    }
    await next();
  };
}

/**
 * A live session within its request budgets. `refuse` answers a request without a session (401 for the API, a
 * redirect to the sign-in page for pages); a spent budget is 429 with Retry-After.
 */
export function requireSession(refuse: (c: Context<AppEnv>) => Response): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!c.get('session')) {
      c.set('reason', 'no-session');
      return refuse(c);
    }
    const wait = c.get('budgetWait');
    if (wait) return overBudget(c, wait);
    await next();
  };
}

function overBudget(c: Context<AppEnv>, wait: number): Response {
  c.set('reason', 'rate-limited');
  c.header('Retry-After', String(wait));
  return c.req.path.startsWith('/api/')
    ? c.json({ error: 'too_many_requests' }, 429)
    : c.text('Too many requests', 429);
}

import { randomUUID } from 'node:crypto';
import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import type { Logger } from '../log.ts';
import { StoreUnavailableError } from '../store/store.ts';

/** A request id and one access-log entry per request: an explicit field list, never headers, cookies, bodies or queries. */
export function accessLog(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
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
  };
}

/** Unexpected errors: the error's name only in the log (messages can carry URLs with search terms). */
export function errorHandler(log: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
    if (error instanceof StoreUnavailableError) return storeUnavailable(c);
    log({ level: 'error', msg: 'unhandled error', requestId: c.get('requestId'), reason: error.name });
    return c.req.path.startsWith('/api/') ? c.json({ error: 'internal_error' }, 500) : c.text('Internal error', 500);
  };
}

/**
 * The shared session store is down: 503 with a clear message and Retry-After, for every request that needs a session,
 * a budget or a sign-in counter. Never "no session" (which would look like being signed out) and never a sign-in.
 */
function storeUnavailable(c: Context<AppEnv>): Response {
  c.set('reason', 'session-store-unavailable');
  c.header('Retry-After', '1');
  const message = 'Sessions are unavailable for a moment (the session store cannot be reached). Try again shortly.';
  return c.req.path.startsWith('/api/')
    ? c.json({ error: 'session_store_unavailable', message }, 503)
    : c.text(message, 503);
}

import { tooManyRequests } from '@medplum/core';
import type { Context, MiddlewareHandler } from 'hono';
import { sendOutcome } from './outcomes.ts';

const WINDOW_MS = 60_000;

/**
 * Medplum's auth rate limit (default 160 requests per minute per IP): a fixed one-minute window per client address,
 * 429 with the `too-many-requests` OperationOutcome, and the draft-7 `RateLimit` header the SDK reads.
 */
export function authRateLimit(limit: number, clientAddress: (c: Context) => string): MiddlewareHandler {
  const windows = new Map<string, { start: number; count: number }>();
  return async (c, next) => {
    const now = Date.now();
    const key = clientAddress(c);
    let window = windows.get(key);
    if (!window || now - window.start >= WINDOW_MS) {
      // Forget finished windows now and then, so the map stays as small as the set of recent callers.
      if (windows.size > 1000) {
        for (const [address, old] of windows) if (now - old.start >= WINDOW_MS) windows.delete(address);
      }
      window = { start: now, count: 0 };
      windows.set(key, window);
    }
    window.count += 1;
    const resetSeconds = Math.ceil((window.start + WINDOW_MS - now) / 1000);
    c.header('RateLimit', `limit=${limit}, remaining=${Math.max(0, limit - window.count)}, reset=${resetSeconds}`);
    if (window.count > limit) return sendOutcome(c, tooManyRequests);
    await next();
  };
}

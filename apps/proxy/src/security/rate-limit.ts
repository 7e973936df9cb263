/**
 * Fixed-window counters keyed by session id, user name or client address (API and pages), and by address or user +
 * address (sign-in). Every user reaches Medplum from the proxy's one address, so Medplum's own per-IP limits cannot
 * tell users apart: the proxy must. In memory here; `store/redis.ts` keeps the same counters in Redis so that every
 * instance counts against one budget.
 */
export interface RateLimiter {
  /** Counts one hit; resolves to the seconds to wait when the key is over its limit, else 0. */
  hit(key: string): Promise<number>;
  reset(key: string): Promise<void>;
}

/** Seconds until a window that started `windowLeftMs` before its end runs out, when `count` is over `limit`. */
export function secondsToWait(count: number, limit: number, windowLeftMs: number): number {
  return count > limit ? Math.max(1, Math.ceil(windowLeftMs / 1000)) : 0;
}

export function createMemoryRateLimiter(limit: number, windowMs: number, now: () => number): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const current = (key: string, at: number) => {
    let entry = windows.get(key);
    if (!entry || at - entry.start >= windowMs) {
      if (windows.size >= 10_000) {
        for (const [k, e] of windows) if (at - e.start >= windowMs) windows.delete(k);
      }
      entry = { start: at, count: 0 };
      windows.set(key, entry);
    }
    return entry;
  };

  return {
    async hit(key) {
      const at = now();
      const entry = current(key, at);
      entry.count += 1;
      return secondsToWait(entry.count, limit, entry.start + windowMs - at);
    },
    async reset(key) {
      windows.delete(key);
    },
  };
}

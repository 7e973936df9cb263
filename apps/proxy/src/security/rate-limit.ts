/**
 * Fixed-window counters keyed by session id (API and pages) or by user name (failed sign-ins). Every user reaches
 * Medplum from the proxy's one address, so Medplum's own per-IP limits cannot tell users apart: the proxy must.
 */
export interface RateLimiter {
  /** Counts one hit; returns seconds to wait when the key is over its limit, else 0. */
  hit(key: string): number;
  /** Seconds to wait if the key is already over its limit, without counting a hit. */
  blocked(key: string): number;
  reset(key: string): void;
}

export function createRateLimiter(limit: number, windowMs: number, now: () => number): RateLimiter {
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
  const wait = (entry: { start: number; count: number }, at: number) =>
    entry.count > limit ? Math.max(1, Math.ceil((entry.start + windowMs - at) / 1000)) : 0;

  return {
    hit(key) {
      const at = now();
      const entry = current(key, at);
      entry.count += 1;
      return wait(entry, at);
    },
    blocked(key) {
      const at = now();
      const entry = current(key, at);
      return entry.count >= limit ? Math.max(1, Math.ceil((entry.start + windowMs - at) / 1000)) : 0;
    },
    reset(key) {
      windows.delete(key);
    },
  };
}

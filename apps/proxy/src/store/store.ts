/**
 * Where the proxy keeps what must be shared by every instance behind a load balancer: sessions, request budgets and
 * sign-in lock-out counters. Two backends behind one interface: memory (the default: zero setup, one instance) and
 * Redis (`PROXY_SESSION_STORE_URL`), see docs/decisions/0008-shared-session-store.md.
 */
import { createMemoryRateLimiter, type RateLimiter } from '../security/rate-limit.ts';
import { createMemorySessionStore, type SessionLifetimes, type SessionStore } from '../session/store.ts';

export interface ProxyStore {
  readonly kind: 'memory' | 'redis';
  sessions(lifetimes: SessionLifetimes, now: () => number): SessionStore;
  /** A named family of counters (`name` keeps families apart in a shared store). */
  rateLimiter(name: string, limit: number, windowMs: number, now: () => number): RateLimiter;
  /** Resolves when the store answers; rejects with StoreUnavailableError otherwise (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The shared store cannot be reached. Every request that needs it gets 503 with a clear message (never a sign-in, never
 * "no session" treated as a fresh start); the store's client reconnects by itself.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

export function memoryStore(): ProxyStore {
  return {
    kind: 'memory',
    sessions: createMemorySessionStore,
    rateLimiter: (_name, limit, windowMs, now) => createMemoryRateLimiter(limit, windowMs, now),
    ping: async () => {},
    close: async () => {},
  };
}

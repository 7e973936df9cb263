/**
 * Where the proxy keeps what must be shared by every instance behind a load balancer: sessions, request budgets and
 * sign-in lock-out counters. Two backends behind one interface: memory (the default: zero setup, one instance) and
 * Redis (`PROXY_SESSION_STORE_URL`), see docs/decisions/0008-shared-session-store.md.
 */
import { createMemoryRateLimiter, type RateLimiter } from '../security/rate-limit.ts';
import {
  createMemorySessionRecords,
  type RequestBudgets,
  type SessionLifetimes,
  type SessionStore,
} from '../session/store.ts';

export interface ProxyStore {
  readonly kind: 'memory' | 'redis';
  sessions(lifetimes: SessionLifetimes, budgets: RequestBudgets, now: () => number): SessionStore;
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
    sessions: (lifetimes, budgets, now) => {
      const records = createMemorySessionRecords(lifetimes, now);
      const counter = (limit: number) => createMemoryRateLimiter(limit, budgets.windowMs, now);
      const perSession = counter(budgets.perSession);
      const perUser = counter(budgets.perUser);
      const perAddress = counter(budgets.perAddress);
      return {
        ...records,
        async open(id, address) {
          const session = await records.touch(id);
          if (!session) return undefined;
          const waits = await Promise.all([
            perSession.hit(session.id),
            perUser.hit(session.username),
            perAddress.hit(address),
          ]);
          return { session, wait: Math.max(...waits) };
        },
      };
    },
    rateLimiter: (_name, limit, windowMs, now) => createMemoryRateLimiter(limit, windowMs, now),
    ping: async () => {},
    close: async () => {},
  };
}

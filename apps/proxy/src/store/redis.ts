/**
 * The shared store on Redis (`PROXY_SESSION_STORE_URL`): sessions, request budgets and sign-in lock-outs, so that any
 * number of proxy instances behind a load balancer see the same state (no sticky sessions), and a restarted or killed
 * instance signs nobody out. See docs/decisions/0008-shared-session-store.md.
 *
 * What Redis holds, all under one key prefix:
 * - `session:<sha256(id)>` → `{ username, medplum: { membership, profile, … }, createdAt, lastSeenAt }`, expiring with
 *   the session's absolute lifetime. Never the raw session id: the browser's cookie seals the raw id under
 *   PROXY_SESSION_SECRET, so someone holding only Redis data (a dump, a replica, a backup) can neither turn a key back
 *   into a cookie nor forge one. No token is stored at all: the proxy's Medplum token stays in each instance's memory.
 * - `user-sessions:<sha256(username)>` → sorted set of that user's session hashes by creation (the per-user cap).
 * - `rate:<family>:<sha256(key)>` → a fixed-window counter (INCR + PEXPIRE in one Lua script, so concurrent hits from
 *   every instance are counted exactly once and the window starts with the first hit).
 *
 * Failure: commands are not queued while Redis is away (`enableOfflineQueue: false`) and time out after 2 s, so a
 * request fails fast with StoreUnavailableError (503) instead of hanging; the client reconnects by itself.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { type RateLimiter, secondsToWait } from '../security/rate-limit.ts';
import {
  newSessionId,
  type Session,
  type SessionLifetimes,
  type SessionStore,
  sessionExpired,
} from '../session/store.ts';
import type { MedplumIdentity } from '../users/store.ts';
import { type ProxyStore, StoreUnavailableError } from './store.ts';

export const DEFAULT_KEY_PREFIX = 'org-proxy:';

/** INCR, start the window on the first hit (or heal a key that lost its expiry), answer count and time left. */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if count == 1 or left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}`;

/** lastSeenAt is written back at most this often: idle timeouts are minutes, and a read is cheaper than a write. */
const TOUCH_WRITE_INTERVAL_MS = 1000;

type StoredSession = Omit<Session, 'id'>;
type HitCommand = { proxyHit(key: string, windowMs: number): Promise<[number, number]> };

export interface RedisStoreOptions {
  log?: Logger;
  /** Keys of this store start with it (default `org-proxy:`); tests use one per test. */
  keyPrefix?: string;
}

/** Connects (once, failing fast with StoreUnavailableError when Redis cannot be reached) and returns the store. */
export async function connectRedisStore(url: string, options: RedisStoreOptions = {}): Promise<ProxyStore> {
  const redis = new Redis(url, {
    keyPrefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX,
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 0,
    // Commands issued in one tick (a request's three budget counters) go out in one write.
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(100 * attempt, 1000),
  });
  redis.defineCommand('proxyHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
  // The socket's own error (ECONNREFUSED, ENOTFOUND…) says more than the "Connection is closed." connect() rejects with.
  let cause: unknown;
  const noteCause = (error: unknown) => {
    cause ??= error;
  };
  redis.on('error', noteCause);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new StoreUnavailableError(
      `cannot reach the session store at ${redactedAddress(url)} (PROXY_SESSION_STORE_URL): ${errorMessage(cause ?? error)}`
    );
  }
  redis.off('error', noteCause);
  reportOutages(redis, options.log);
  return {
    kind: 'redis',
    sessions: (lifetimes, now) => redisSessionStore(redis, lifetimes, now),
    rateLimiter: (name, limit, windowMs) => redisRateLimiter(redis as Redis & HitCommand, name, limit, windowMs),
    ping: () => guarded(redis.ping()).then(() => undefined),
    close: async () => {
      redis.removeAllListeners('close'); // a chosen close is no outage
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function redisSessionStore(redis: Redis, lifetimes: SessionLifetimes, now: () => number): SessionStore {
  const sessionKey = (hash: string) => `session:${hash}`;
  const userKey = (username: string) => `user-sessions:${sha256(username)}`;

  const remove = async (hash: string, username: string) => {
    await guarded(redis.multi().del(sessionKey(hash)).zrem(userKey(username), hash).exec().then(check));
  };

  return {
    async create(username: string, medplum: MedplumIdentity) {
      const at = now();
      const id = newSessionId();
      const hash = sha256(id);
      const stored: StoredSession = { username, medplum, createdAt: at, lastSeenAt: at };
      const own = userKey(username);
      const results = await guarded(
        redis
          .multi()
          .set(sessionKey(hash), JSON.stringify(stored), 'PX', lifetimes.absoluteMs)
          .zadd(own, at, hash)
          .zremrangebyscore(own, '-inf', at - lifetimes.absoluteMs)
          .pexpire(own, lifetimes.absoluteMs)
          // Everything but the newest `maxPerUser`: the oldest sessions beyond the cap, ended below.
          .zrange(own, 0, String(-(lifetimes.maxPerUser + 1)))
          .exec()
          .then(check)
      );
      const beyondCap = (results[4] as string[]).filter((old) => old !== hash);
      if (beyondCap.length > 0) {
        await guarded(
          redis
            .multi()
            .del(...beyondCap.map(sessionKey))
            .zrem(own, ...beyondCap)
            .exec()
            .then(check)
        );
      }
      return { id, ...stored };
    },
    async touch(id: string) {
      const hash = sha256(id);
      const raw = await guarded(redis.get(sessionKey(hash)));
      if (raw === null) return undefined;
      const session: Session = { id, ...(JSON.parse(raw) as StoredSession) };
      const at = now();
      if (sessionExpired(session, lifetimes, at)) {
        await remove(hash, session.username);
        return undefined;
      }
      if (at - session.lastSeenAt >= TOUCH_WRITE_INTERVAL_MS) {
        session.lastSeenAt = at;
        const { id: _, ...stored } = session;
        // XX: only if it still exists, so a touch racing a sign-out on another instance cannot bring the session back.
        await guarded(redis.set(sessionKey(hash), JSON.stringify(stored), 'KEEPTTL', 'XX'));
      }
      return session;
    },
    async delete(session) {
      await remove(sha256(session.id), session.username);
    },
  };
}

function redisRateLimiter(redis: Redis & HitCommand, name: string, limit: number, windowMs: number): RateLimiter {
  const key = (raw: string) => `rate:${name}:${sha256(raw)}`;
  return {
    async hit(raw) {
      const [count, left] = await guarded(redis.proxyHit(key(raw), windowMs));
      return secondsToWait(count, limit, left);
    },
    async reset(raw) {
      await guarded(redis.del(key(raw)));
    },
  };
}

/** One warning when Redis goes away and one line when it is back, not one per reconnect attempt. */
function reportOutages(redis: Redis, log: Logger | undefined): void {
  let down = false;
  // Errors are reported through 'close' below; this listener keeps ioredis from printing each one to the console.
  redis.on('error', () => {});
  redis.on('close', () => {
    if (down) return;
    down = true;
    log?.({ level: 'warn', msg: 'session store unreachable: answering 503 until it is back' });
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log?.({ level: 'info', msg: 'session store reachable again' });
  });
}

async function guarded<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw new StoreUnavailableError(`the session store cannot be reached: ${errorMessage(error)}`, { cause: error });
  }
}

/** A MULTI's replies, or its first error. */
function check(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new Error('transaction aborted');
  for (const [error] of results) if (error) throw error;
  return results.map(([, value]) => value);
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** host:port only: the URL may carry the store's password. */
function redactedAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

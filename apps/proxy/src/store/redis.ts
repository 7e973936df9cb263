/**
 * The shared store on Redis (`PROXY_SESSION_STORE_URL`): sessions, request budgets and sign-in lock-outs, so that any
 * number of proxy instances behind a load balancer see the same state (no sticky sessions), and a restarted or killed
 * instance signs nobody out. See docs/decisions/0008-shared-session-store.md.
 *
 * What Redis holds, all under one key prefix:
 * - `session:<sha256(id)>` → `{ username, userHash, medplum: { membership, profile, … }, createdAt, lastSeenAt }`
 *   (userHash = sha256(username), naming the user's keys below), expiring with
 *   the session's absolute lifetime. Never the raw session id: the browser's cookie seals the raw id under
 *   PROXY_SESSION_SECRET, so someone holding only Redis data (a dump, a replica, a backup) can neither turn a key back
 *   into a cookie nor forge one. No token is stored at all: the proxy's Medplum token stays in each instance's memory.
 * - `user-sessions:<sha256(username)>` → sorted set of that user's session hashes by creation (the per-user cap).
 * - `rate:<family>:<sha256(key)>` → a fixed-window counter (INCR + PEXPIRE in one Lua script, so concurrent hits from
 *   every instance are counted exactly once and the window starts with the first hit). A request with a session reads
 *   the session, checks it is live (deleting it if not), restarts its idle clock and counts its three budgets in one
 *   script: one round trip, atomic, whatever the outcome.
 *
 * Failure: commands are not queued while Redis is away (`enableOfflineQueue: false`) and time out after 2 s, so a
 * request fails fast with StoreUnavailableError (503) instead of hanging; the client reconnects by itself.
 */
import { hash as digest } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { type RateLimiter, secondsToWait } from '../security/rate-limit.ts';
import {
  newSessionId,
  type RequestBudgets,
  type Session,
  type SessionLifetimes,
  type SessionStore,
} from '../session/store.ts';
import type { MedplumIdentity } from '../users/store.ts';
import { type ProxyStore, StoreUnavailableError } from './store.ts';

export const DEFAULT_KEY_PREFIX = 'org-proxy:';

/** INCR, start the window on the first hit (or heal a key that lost its expiry), answer count and time left. */
const HIT_FUNCTION = `
local function hit(key, window)
  local count = redis.call('INCR', key)
  local left = redis.call('PTTL', key)
  if count == 1 or left < 0 then
    redis.call('PEXPIRE', key, window)
    left = tonumber(window)
  end
  return {count, left}
end`;

/** One counter: KEYS[1], window ARGV[1]. */
const HIT_SCRIPT = `${HIT_FUNCTION}
return hit(KEYS[1], ARGV[1])`;

/**
 * The session at KEYS[1] if it is live, its idle clock restarted; else nothing. Live or not is decided here, in Redis,
 * as `sessionExpired` decides it (ARGV[1] = now, ARGV[2] = idle, ARGV[3] = absolute lifetime); an expired session is
 * deleted with its entry in the user's set (ARGV[5] .. its userHash, member ARGV[6]). lastSeenAt is written back at
 * most every ARGV[4] ms, in place (KEEPTTL), so a touch racing a sign-out on another instance cannot revive it: the
 * whole read is one atomic step and one round trip, however it ends.
 */
const LIVE_FUNCTION = `
local function live(key, now, idle, absolute, touchEvery, userSessionsPrefix, hash)
  local stored = redis.call('GET', key)
  if not stored then return nil end
  local session = cjson.decode(stored)
  if now - session.lastSeenAt >= idle or now - session.createdAt >= absolute then
    redis.call('DEL', key)
    redis.call('ZREM', userSessionsPrefix .. session.userHash, hash)
    return nil
  end
  if now - session.lastSeenAt >= touchEvery then
    session.lastSeenAt = now
    stored = cjson.encode(session)
    redis.call('SET', key, stored, 'KEEPTTL')
  end
  return stored, session
end`;

/** The live session (KEYS[1]; ARGV as `live`), or false. */
const TOUCH_SCRIPT = `${LIVE_FUNCTION}
return live(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6])
  or false`;

/**
 * A request with a session cookie, in one round trip: the live session (KEYS[1]; ARGV[1..6] as `live`) and one hit on
 * its per-session (KEYS[2]), per-user and per-address (KEYS[3]) counters (window ARGV[7]); an unknown or expired
 * session is false, and nothing is counted. The per-user keys are only known from the session (ARGV[5] and ARGV[8],
 * each .. its userHash), so the script builds them: fine on one Redis, not on Redis Cluster (ADR 0008).
 */
const OPEN_SCRIPT = `${HIT_FUNCTION}
${LIVE_FUNCTION}
local stored, session = live(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]),
  ARGV[5], ARGV[6])
if not stored then return false end
local perSession = hit(KEYS[2], ARGV[7])
local perUser = hit(ARGV[8] .. session.userHash, ARGV[7])
local perAddress = hit(KEYS[3], ARGV[7])
return {stored, perSession[1], perSession[2], perUser[1], perUser[2], perAddress[1], perAddress[2]}`;

/**
 * lastSeenAt is written back at most this often: idle timeouts are minutes, and a read is cheaper than a write. So on
 * Redis a session's idle clock may restart up to this much earlier than on the memory store, never later.
 */
const TOUCH_WRITE_INTERVAL_MS = 1000;

/**
 * A session as Redis holds it: no id (the key is its hash), plus the user name's hash for the per-user counter. The
 * scripts re-encode it with Redis's cjson, so it holds only strings, objects of strings and whole milliseconds (cjson
 * writes numbers with 14 significant digits, and an empty array as `{}`).
 */
type StoredSession = Omit<Session, 'id'> & { userHash: string };
/** What `live` needs besides the key: now, idle and absolute lifetimes, touch interval, user-sessions prefix, hash. */
type LiveArgs = [number, number, number, number, string, string];
/** The stored session and count / ms left of its three counters. */
type OpenReply = [string, number, number, number, number, number, number];
type Commands = {
  proxyHit(key: string, windowMs: number): Promise<[number, number]>;
  proxyTouch(session: string, ...live: LiveArgs): Promise<string | null>;
  proxyOpen(
    session: string,
    perSession: string,
    perAddress: string,
    ...args: [...LiveArgs, windowMs: number, userCounterPrefix: string]
  ): Promise<OpenReply | null>;
};

export interface RedisStoreOptions {
  log?: Logger;
  /** Keys of this store start with it (default `org-proxy:`); tests use one per test. */
  keyPrefix?: string;
}

/** Connects (once, failing fast with StoreUnavailableError when Redis cannot be reached) and returns the store. */
export async function connectRedisStore(url: string, options: RedisStoreOptions = {}): Promise<ProxyStore> {
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const redis = new Redis(url, {
    keyPrefix,
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 0,
    // No auto-pipelining: a request makes one call, and batching would delay each call by a turn of the event loop.
    retryStrategy: (attempt) => Math.min(100 * attempt, 1000),
  });
  redis.defineCommand('proxyHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
  redis.defineCommand('proxyTouch', { numberOfKeys: 1, lua: TOUCH_SCRIPT });
  redis.defineCommand('proxyOpen', { numberOfKeys: 3, lua: OPEN_SCRIPT });
  const commands = redis as Redis & Commands;
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
    sessions: (lifetimes, budgets, now) => redisSessionStore(commands, keyPrefix, { lifetimes, budgets, now }),
    rateLimiter: (name, limit, windowMs) => redisRateLimiter(commands, name, limit, windowMs),
    ping: () => guarded(redis.ping()).then(() => undefined),
    close: async () => {
      redis.removeAllListeners('close'); // a chosen close is no outage
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

const keys = {
  session: (hash: string) => `session:${hash}`,
  userSessions: (userHash: string) => `user-sessions:${userHash}`,
  counter: (family: string, hash: string) => `rate:${family}:${hash}`,
};

interface SessionSettings {
  lifetimes: SessionLifetimes;
  budgets: RequestBudgets;
  now: () => number;
}

function redisSessionStore(redis: Redis & Commands, keyPrefix: string, settings: SessionSettings): SessionStore {
  const { lifetimes, budgets, now } = settings;
  // The per-user keys the scripts build from a session's userHash (ioredis prefixes only KEYS, not ARGV).
  const userSessionsPrefix = `${keyPrefix}${keys.userSessions('')}`;
  const userCounterPrefix = `${keyPrefix}${keys.counter('user', '')}`;
  const liveArgs = (hash: string): LiveArgs => [
    now(),
    lifetimes.idleMs,
    lifetimes.absoluteMs,
    TOUCH_WRITE_INTERVAL_MS,
    userSessionsPrefix,
    hash,
  ];
  return {
    create: (username, medplum) => createSession(redis, settings, username, medplum),
    async touch(id) {
      const hash = sha256(id);
      const stored = await guarded(redis.proxyTouch(keys.session(hash), ...liveArgs(hash)));
      return stored === null ? undefined : sessionFrom(id, stored);
    },
    async open(id, address) {
      const hash = sha256(id);
      const reply = await guarded(
        redis.proxyOpen(
          keys.session(hash),
          keys.counter('session', hash),
          keys.counter('address', sha256(address)),
          ...liveArgs(hash),
          budgets.windowMs,
          userCounterPrefix
        )
      );
      if (!reply) return undefined;
      const [stored, sessionCount, sessionLeft, userCount, userLeft, addressCount, addressLeft] = reply;
      const wait = Math.max(
        secondsToWait(sessionCount, budgets.perSession, sessionLeft),
        secondsToWait(userCount, budgets.perUser, userLeft),
        secondsToWait(addressCount, budgets.perAddress, addressLeft)
      );
      return { session: sessionFrom(id, stored), wait };
    },
    delete: (session) => removeSession(redis, sha256(session.id), session.username),
  };
}

/** A live session as the scripts return it (the stored JSON), with its raw id back in place of the user name's hash. */
function sessionFrom(id: string, stored: string): Session {
  // Field by field, not a rest spread: this runs on every request, and a spread of the parsed object costs more.
  const { username, medplum, createdAt, lastSeenAt } = JSON.parse(stored) as StoredSession;
  return { id, username, medplum, createdAt, lastSeenAt };
}

/** A new session, and the user's oldest beyond the per-user cap ended, in two transactions. */
async function createSession(
  redis: Redis,
  { lifetimes, now }: SessionSettings,
  username: string,
  medplum: MedplumIdentity
): Promise<Session> {
  const at = now();
  const id = newSessionId();
  const hash = sha256(id);
  const userHash = sha256(username);
  const stored: StoredSession = { username, medplum, createdAt: at, lastSeenAt: at, userHash };
  const own = keys.userSessions(userHash);
  const results = await guarded(
    redis
      .multi()
      .set(keys.session(hash), JSON.stringify(stored), 'PX', lifetimes.absoluteMs)
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
        .del(...beyondCap.map(keys.session))
        .zrem(own, ...beyondCap)
        .exec()
        .then(check)
    );
  }
  return { id, username, medplum, createdAt: at, lastSeenAt: at };
}

async function removeSession(redis: Redis, hash: string, username: string): Promise<void> {
  await guarded(
    redis
      .multi()
      .del(keys.session(hash))
      .zrem(keys.userSessions(sha256(username)), hash)
      .exec()
      .then(check)
  );
}

/** Keys `rate:<name>:<sha256(key)>`, the scheme the per-request script uses for the request budgets too. */
function redisRateLimiter(redis: Redis & Commands, name: string, limit: number, windowMs: number): RateLimiter {
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
  return digest('sha256', value, 'base64url');
}

/** host:port only: the URL may carry the store's password. */
function redactedAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

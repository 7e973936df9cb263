/**
 * One contract, two stores: the in-memory default and Redis (a real redis-server, test/redis-server.ts) must behave
 * the same for sessions and counters, so the proxy's unit tests on the memory store speak for both.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../test/redis-server.ts';
import type { MedplumIdentity } from '../users/store.ts';
import { connectRedisStore } from './redis.ts';
import { memoryStore, type ProxyStore, StoreUnavailableError } from './store.ts';

const DANA: MedplumIdentity = {
  membership: 'ProjectMembership/m-1',
  profile: 'Practitioner/p-1',
  profileDisplay: 'Dr. Dana Whitfield',
};
const LIFETIMES = { idleMs: 10_000, absoluteMs: 60_000, maxPerUser: 2 };
const BUDGETS = { perSession: 1000, perUser: 1000, perAddress: 1000, windowMs: 60_000 };

let redis: TestRedis;
let prefixes = 0;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.dispose();
});

const backends: { name: string; open: () => Promise<ProxyStore> }[] = [
  { name: 'memory', open: async () => memoryStore() },
  { name: 'redis', open: () => connectRedisStore(redis.url, { keyPrefix: `contract-${++prefixes}:` }) },
];

describe.each(backends)('the $name store', ({ open }) => {
  let store: ProxyStore;
  let at: number;
  const now = () => at;
  beforeEach(async () => {
    at = 1_000_000;
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('finds a created session by its id, with its user and membership, and nothing by another id', async () => {
    const sessions = store.sessions(LIFETIMES, BUDGETS, now);
    const created = await sessions.create('dana', DANA);
    expect(created.id).toMatch(/^[\w-]{43}$/);
    expect(await sessions.touch(created.id)).toEqual({ ...created, lastSeenAt: at });
    expect(await sessions.touch(`${created.id.slice(0, -1)}x`)).toBeUndefined();
    expect((await sessions.create('dana', DANA)).id).not.toBe(created.id);
  });

  it('ends a session after the idle timeout; each request restarts the idle clock', async () => {
    const sessions = store.sessions(LIFETIMES, BUDGETS, now);
    const { id } = await sessions.create('dana', DANA);
    at += 8_000;
    expect(await sessions.touch(id)).toBeDefined();
    at += 8_000;
    expect((await sessions.touch(id))?.lastSeenAt).toBe(at);
    at += 10_000;
    expect(await sessions.touch(id)).toBeUndefined();
    at -= 10_000; // the clock going back cannot revive it: it was deleted
    expect(await sessions.touch(id)).toBeUndefined();
  });

  it('ends a session at its absolute lifetime however active it is', async () => {
    const sessions = store.sessions(LIFETIMES, BUDGETS, now);
    const { id } = await sessions.create('dana', DANA);
    for (let i = 0; i < 6; i++) {
      at += 9_000;
      expect(await sessions.touch(id)).toBeDefined();
    }
    at += 6_000;
    expect(await sessions.touch(id)).toBeUndefined();
  });

  it('keeps every field of a session, exactly, when its idle clock is written back', async () => {
    at = Date.parse('2026-12-02T15:52:18.123Z'); // epoch milliseconds, 13 digits, as in production
    const sessions = store.sessions(LIFETIMES, BUDGETS, now);
    const odd = {
      ...DANA,
      profileDisplay: 'Dr. Ünal "Dana" O\'Brien / Whitfield',
      provisioningKey: 'membership/dev',
    };
    const created = await sessions.create("dana.o'brien/ünal@example.org", odd);
    at += 5_001;
    expect(await sessions.touch(created.id)).toEqual({ ...created, lastSeenAt: at });
    at += 4_999;
    expect((await sessions.open(created.id, '203.0.113.1'))?.session).toEqual({ ...created, lastSeenAt: at });
    expect(await sessions.touch(created.id)).toEqual({ ...created, lastSeenAt: at });
  });

  it('forgets a deleted session', async () => {
    const sessions = store.sessions(LIFETIMES, BUDGETS, now);
    const session = await sessions.create('dana', DANA);
    await sessions.delete(session);
    expect(await sessions.touch(session.id)).toBeUndefined();
  });

  it("ends the user's oldest session beyond the per-user cap, and no one else's", async () => {
    const sessions = store.sessions(LIFETIMES, BUDGETS, now);
    const other = await sessions.create('robin', DANA);
    const oldest = await sessions.create('dana', DANA);
    at += 1;
    const middle = await sessions.create('dana', DANA);
    at += 1;
    const newest = await sessions.create('dana', DANA);
    expect(await sessions.touch(oldest.id)).toBeUndefined();
    expect(await sessions.touch(middle.id)).toBeDefined();
    expect(await sessions.touch(newest.id)).toBeDefined();
    expect(await sessions.touch(other.id)).toBeDefined();
  });

  it('opening a session counts one request on each of its budgets: per session, per user, per address', async () => {
    const budgets = { perSession: 3, perUser: 5, perAddress: 8, windowMs: 60_000 };
    const sessions = store.sessions(LIFETIMES, budgets, now);
    const [first, second, robin] = [
      await sessions.create('dana', DANA),
      await sessions.create('dana', DANA),
      await sessions.create('robin', DANA),
    ];
    const wait = async (id: string, address = '203.0.113.1') => (await sessions.open(id, address))?.wait;
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await wait(first.id)); // the session's budget: 3
    seen.push(await wait(second.id), await wait(second.id)); // dana's budget over both sessions: 5
    seen.push(await wait(robin.id), await wait(robin.id), await wait(robin.id)); // the address's budget: 8
    expect(seen.map((w) => (w === 0 ? 'ok' : w !== undefined && w > 0 && w <= 60 ? 'wait' : w))).toEqual([
      'ok',
      'ok',
      'ok',
      'wait', // per session
      'ok',
      'wait', // per user
      'ok',
      'ok',
      'wait', // per address
    ]);
    // Robin's new session, from another address: a fresh session budget, robin's 4th request, the address's 1st.
    const again = await sessions.create('robin', DANA);
    expect(await sessions.open(again.id, '203.0.113.2')).toEqual({ session: again, wait: 0 });
  });

  it('opening an unknown or expired session counts nothing', async () => {
    const sessions = store.sessions(LIFETIMES, { ...BUDGETS, perAddress: 1 }, now);
    const stale = await sessions.create('dana', DANA);
    at += LIFETIMES.idleMs;
    for (const id of ['no-such-session', stale.id]) expect(await sessions.open(id, '203.0.113.1')).toBeUndefined();
    const fresh = await sessions.create('dana', DANA);
    expect((await sessions.open(fresh.id, '203.0.113.1'))?.wait).toBe(0);
    expect((await sessions.open(fresh.id, '203.0.113.1'))?.wait).toBeGreaterThan(0);
  });

  it('counts `limit` hits per key and window, then answers the seconds to wait; reset clears one key', async () => {
    const limiter = store.rateLimiter('test', 3, 60_000, now);
    const waits = [];
    for (let i = 0; i < 5; i++) waits.push(await limiter.hit('203.0.113.1'));
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    expect(waits[3]).toBeGreaterThanOrEqual(59);
    expect(waits[3]).toBeLessThanOrEqual(60);
    expect(await limiter.hit('203.0.113.2')).toBe(0);
    expect(await store.rateLimiter('other-family', 3, 60_000, now).hit('203.0.113.1')).toBe(0);
    await limiter.reset('203.0.113.1');
    expect(await limiter.hit('203.0.113.1')).toBe(0);
  });

  it('counts concurrent hits exactly: 50 at once on a limit of 10 let 10 through', async () => {
    const limiter = store.rateLimiter('burst', 10, 60_000, now);
    const waits = await Promise.all(Array.from({ length: 50 }, () => limiter.hit('dana')));
    expect(waits.filter((wait) => wait === 0)).toHaveLength(10);
  });

  it('starts counting again when the window is over', async () => {
    const limiter = store.rateLimiter('short', 1, 300, () => Date.now());
    expect(await limiter.hit('dana')).toBe(0);
    expect(await limiter.hit('dana')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await limiter.hit('dana')).toBe(0);
  });
});

describe('the Redis store', () => {
  it('holds no session id and no token: prefixed hashed keys, expiring with the absolute lifetime', async () => {
    const store = await connectRedisStore(redis.url, { keyPrefix: 'at-rest:' });
    const sessions = store.sessions(LIFETIMES, BUDGETS, Date.now);
    const session = await sessions.create('dana', DANA);
    await sessions.open(session.id, '203.0.113.1');
    await store.close();

    const raw = new Redis(redis.url);
    try {
      const keys = (await raw.keys('at-rest:*')).sort();
      const hashOf = (family: string) =>
        keys
          .find((key) => key.startsWith(`at-rest:${family}:`))
          ?.split(':')
          .at(-1);
      expect(keys.map((key) => key.replace(/:[\w-]{43}$/, ':<hash>'))).toEqual([
        'at-rest:rate:address:<hash>',
        'at-rest:rate:session:<hash>',
        'at-rest:rate:user:<hash>',
        'at-rest:session:<hash>',
        'at-rest:user-sessions:<hash>',
      ]);
      // One hash per session and one per user name, whichever key names them.
      expect(hashOf('rate:session')).toBe(hashOf('session'));
      expect(hashOf('rate:user')).toBe(hashOf('user-sessions'));
      const sessionKey = `at-rest:session:${hashOf('session')}`;
      const stored = (await raw.get(sessionKey)) ?? '';
      for (const text of [...keys, stored]) expect(text).not.toContain(session.id);
      expect(keys.join()).not.toMatch(/dana|203\.0\.113/);
      expect(Object.keys(JSON.parse(stored)).sort()).toEqual([
        'createdAt',
        'lastSeenAt',
        'medplum',
        'userHash',
        'username',
      ]);
      const ttl = await raw.pttl(sessionKey);
      expect(ttl).toBeGreaterThan(LIFETIMES.absoluteMs - 5_000);
      expect(ttl).toBeLessThanOrEqual(LIFETIMES.absoluteMs);
    } finally {
      raw.disconnect();
    }
  });

  it.each(['open', 'touch'] as const)(
    "%s deletes an expired session and its entry in the user's set, and counts nothing",
    async (read) => {
      let at = 1_000_000;
      const keyPrefix = `expiry-${read}:`;
      const store = await connectRedisStore(redis.url, { keyPrefix });
      const sessions = store.sessions(LIFETIMES, BUDGETS, () => at);
      const [stale] = [await sessions.create('dana', DANA), await sessions.create('dana', DANA)];
      const raw = new Redis(redis.url);
      try {
        const [userSet = ''] = await raw.keys(`${keyPrefix}user-sessions:*`);
        expect(await raw.zcard(userSet)).toBe(2);
        at += LIFETIMES.idleMs;
        const found = read === 'open' ? await sessions.open(stale.id, '203.0.113.1') : await sessions.touch(stale.id);
        expect(found).toBeUndefined();
        expect(await raw.keys(`${keyPrefix}session:*`)).toHaveLength(1); // dana's other session, not looked at yet
        expect(await raw.zcard(userSet)).toBe(1);
        expect(await raw.keys(`${keyPrefix}rate:*`)).toEqual([]);
      } finally {
        raw.disconnect();
        await store.close();
      }
    }
  );

  it('refuses to start on an unreachable Redis with one clear error that never shows the password', async () => {
    const closed = `redis://:s3cret-store-password@127.0.0.1:${redis.port + 1}`;
    const error = await connectRedisStore(closed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(`cannot reach the session store at redis://127.0.0.1:${redis.port + 1}`);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('fails fast while Redis is down and recovers by itself when it is back', async () => {
    const store = await connectRedisStore(redis.url, { keyPrefix: 'outage:' });
    const sessions = store.sessions(LIFETIMES, BUDGETS, Date.now);
    const session = await sessions.create('dana', DANA);
    await redis.stop();
    try {
      const started = performance.now();
      await expect(sessions.touch(session.id)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(sessions.create('dana', DANA)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.rateLimiter('user', 5, 60_000, Date.now).hit('dana')).rejects.toBeInstanceOf(
        StoreUnavailableError
      );
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(performance.now() - started).toBeLessThan(2_500);
    } finally {
      await redis.start();
    }
    await expect
      .poll(
        () =>
          store.ping().then(
            () => 'up',
            () => 'down'
          ),
        { timeout: 10_000 }
      )
      .toBe('up');
    // Kept on disk across the restart: the session is still there.
    expect((await sessions.touch(session.id))?.username).toBe('dana');
    await store.close();
  });
});

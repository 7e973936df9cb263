/**
 * Two proxy instances (real processes) on one real redis-server, in front of the emulator: what a load balancer
 * without sticky sessions does to the proxy. Sessions, budgets and sign-in lock-outs are shared; an instance dying
 * loses nothing; Redis going away gives 503s (never a sign-in) and the proxy recovers by itself.
 */

import { join } from 'node:path';
import { runNodeScript } from '@org/auth/testing';
import type { RunningEmulator } from '@org/medplum-emulator';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PASSWORD } from '../helpers.ts';
import { call, type ProxyProcess, signInAt, startProxyProcess } from '../processes.ts';
import { startRedis, type TestRedis } from '../redis-server.ts';
import { MARIA, startEmulatorWithLabResults } from './harness.ts';

const SETTINGS = { passwordCost: 1024, rateLimitPerUser: 10, rateLimitPerAddress: 16, signInFailuresPerWindow: 3 };

let emulator: RunningEmulator;
let redis: TestRedis;
let raw: Redis;
let a: ProxyProcess;
let b: ProxyProcess;

beforeAll(async () => {
  [emulator, redis] = await Promise.all([startEmulatorWithLabResults(), startRedis()]);
  raw = new Redis(redis.url);
  raw.on('error', () => {}); // the Redis restart case takes it away on purpose; it reconnects by itself
  const env = { MEDPLUM_BASE_URL: emulator.url, PROXY_SESSION_STORE_URL: redis.url, LEGACY_DEV_PASSWORD: PASSWORD };
  [a, b] = await Promise.all([startProxyProcess(env, SETTINGS), startProxyProcess(env, SETTINGS)]);
});
afterAll(async () => {
  await Promise.all([a?.kill('SIGTERM'), b?.kill('SIGTERM')]);
  raw?.disconnect();
  await redis?.dispose();
  await emulator?.stop();
});
// Every case starts from empty counters and no sessions.
beforeEach(async () => {
  await raw.flushall();
});

const me = (proxy: ProxyProcess, cookie: string, from?: string) =>
  call(proxy.url, '/api/me', { cookie, ...(from ? { from } : {}) });

describe('two proxy instances on one Redis', () => {
  it('a session signed in on A works on B; signed out on B, A refuses it at once', async () => {
    const cookie = await signInAt(a.url, 'clinician', PASSWORD);
    const onB = await me(b, cookie);
    expect(onB.status).toBe(200);
    expect(JSON.parse(onB.body).user.username).toBe('clinician');
    expect((await call(b.url, `/api/fhir/Patient/${MARIA}`, { cookie })).status).toBe(200);

    expect((await call(b.url, '/api/session', { method: 'DELETE', cookie })).status).toBe(204);
    expect((await me(a, cookie)).status).toBe(401);
    expect((await me(b, cookie)).status).toBe(401);
  });

  it("the per-user budget counts a user's requests on both instances", async () => {
    const onA = await signInAt(a.url, 'clinician', PASSWORD);
    const onB = await signInAt(b.url, 'clinician', PASSWORD);
    const seen = [];
    for (let i = 0; i < 6; i++) seen.push((await me(a, onA)).status, (await me(b, onB)).status);
    expect(seen).toEqual([...Array(10).fill(200), 429, 429]);
    const reception = await signInAt(b.url, 'reception', PASSWORD);
    expect((await me(a, reception)).status).toBe(200);
  });

  it('the per-address budget counts one client address on both instances', async () => {
    const clinician = await signInAt(a.url, 'clinician', PASSWORD);
    const reception = await signInAt(b.url, 'reception', PASSWORD);
    const seen = [];
    for (let i = 0; i < 8; i++) seen.push((await me(a, clinician)).status, (await me(b, reception)).status);
    expect(seen).toEqual(Array(16).fill(200));
    const limited = await me(a, reception);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another client address has its own budget.
    expect((await me(b, reception, '127.0.0.2')).status).toBe(200);
  });

  it('sign-in failures count on both instances: the lock-out holds on either', async () => {
    const attempt = (proxy: ProxyProcess, password: string, from?: string) =>
      call(proxy.url, '/api/session', {
        method: 'POST',
        json: { username: 'clinician', password },
        ...(from ? { from } : {}),
      });
    const failures = [(await attempt(a, 'wrong-1')).status, (await attempt(b, 'wrong-2')).status];
    failures.push((await attempt(a, 'wrong-3')).status);
    expect(failures).toEqual([401, 401, 401]);
    for (const proxy of [b, a]) {
      const locked = await attempt(proxy, PASSWORD);
      expect(locked.status).toBe(429);
      expect(locked.headers['set-cookie']).toBeUndefined();
    }
    // Per user and address: the user at another machine signs in.
    expect((await attempt(b, PASSWORD, '127.0.0.2')).status).toBe(200);
  });

  it('each instance keeps its own Medplum token: one token request per instance, whatever the traffic', async () => {
    const cookie = await signInAt(a.url, 'clinician', PASSWORD);
    for (let i = 0; i < 3; i++) {
      for (const proxy of [a, b])
        expect((await call(proxy.url, `/api/fhir/Patient/${MARIA}`, { cookie })).status).toBe(200);
    }
    const tokens = (proxy: ProxyProcess) => proxy.output().split('new access token').length - 1;
    expect([tokens(a), tokens(b)]).toEqual([1, 1]);
  });

  it('A killed (SIGKILL) mid-session: B serves the same session', async () => {
    const cookie = await signInAt(a.url, 'clinician', PASSWORD);
    expect((await me(a, cookie)).status).toBe(200);
    await a.kill('SIGKILL');
    expect((await me(b, cookie)).status).toBe(200);
    expect((await call(b.url, `/api/fhir/Patient/${MARIA}`, { cookie })).status).toBe(200);
    await a.restart();
    expect((await me(a, cookie)).status).toBe(200);
  });

  it('Redis restarting: 503 with a clear message while it is down, no sign-in, and recovery without a restart', async () => {
    const cookie = await signInAt(a.url, 'clinician', PASSWORD);
    await redis.stop();
    try {
      const refused = await me(a, cookie);
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.body)).toEqual({
        error: 'session_store_unavailable',
        message: expect.stringContaining('session store cannot be reached'),
      });
      expect(refused.headers['retry-after']).toBe('1');
      const signIn = await call(b.url, '/api/session', {
        method: 'POST',
        json: { username: 'clinician', password: PASSWORD },
      });
      expect(signIn.status).toBe(503);
      expect(signIn.headers['set-cookie']).toBeUndefined();
      const page = await call(b.url, '/patients', { cookie });
      expect([page.status, page.body]).toEqual([503, expect.stringContaining('Try again shortly')]);
      expect((await call(a.url, '/readyz')).status).toBe(503);
    } finally {
      await redis.start();
    }
    await expect.poll(async () => (await me(a, cookie)).status, { timeout: 10_000, interval: 200 }).toBe(200);
    await expect.poll(async () => (await me(b, cookie)).status, { timeout: 10_000, interval: 200 }).toBe(200);
    expect(a.output()).toContain('session store reachable again');
  });

  it('Redis unreachable at start: `node src/server.ts` prints one clear line (no password) and exits 1', async () => {
    const { code, out } = await runNodeScript(join(import.meta.dirname, '../../src/server.ts'), {
      env: {
        MEDPLUM_BASE_URL: emulator.url,
        PROXY_PORT: '0',
        PROXY_SESSION_STORE_URL: `redis://:s3cret-store-password@127.0.0.1:${redis.port + 1}`,
      },
    });
    expect(code).toBe(1);
    expect(out.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^proxy: cannot reach the session store at redis://127\\.0\\.0\\.1:${redis.port + 1} \\(PROXY_SESSION_STORE_URL\\): `
        )
      ),
    ]);
    expect(out).not.toContain('s3cret');
  });
});

/**
 * `pnpm bench:scale-out` (apps/proxy): what the shared session store costs and what two instances cost Medplum.
 *   store  — the same proxied read (`Patient/<id>` as the dev clinician) through three in-process proxies on HTTP,
 *            calls alternating: sessions and budgets in memory; in Redis (a redis-server started here); and the floor,
 *            in memory plus one Redis round trip (PING) per request, the least any shared store adds.
 *            Goals: Redis p50 ≤ 1.2 × memory p50; the store's own work, Redis p50 ≤ 1.1 × floor p50.
 *   tokens — two proxy instances (real processes) on that Redis, each serving reads: token requests to Medplum
 *            within one token lifetime over both. Goal: 2 (one per instance; each single-flights its own token).
 * Prints a small table; no assertions.
 *
 *   node bench/scale-out.ts [--requests 500] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { createApp } from '../src/app.ts';
import type { ProxySettings } from '../src/config.ts';
import { silentLogger } from '../src/log.ts';
import { connectRedisStore } from '../src/store/redis.ts';
import { memoryStore, type ProxyStore } from '../src/store/store.ts';
import { MARIA, startEmulatorWithLabResults } from '../test/emulator/harness.ts';
import { PASSWORD, testConfig } from '../test/helpers.ts';
import { type ProxyProcess, signInAt, startProxyProcess } from '../test/processes.ts';
import { startRedis } from '../test/redis-server.ts';
import { measureAlternating, type Stats } from './measure.ts';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '500' }, json: { type: 'string' } },
});
const requests = Number(values.requests);
const warmup = Math.min(50, Math.ceil(requests / 10));
const READS_PER_INSTANCE = 200;
const UNLIMITED: Partial<ProxySettings> = {
  rateLimitPerSession: 1_000_000,
  rateLimitPerUser: 1_000_000,
  rateLimitPerAddress: 1_000_000,
  passwordCost: 1024,
};

const emulator = await startEmulatorWithLabResults();
const redis = await startRedis();
const config = testConfig({ MEDPLUM_BASE_URL: emulator.url, LEGACY_DEV_PASSWORD: PASSWORD });
const readPath = `/api/fhir/Patient/${MARIA}`;

/** An in-process proxy on `store`, served on HTTP, signed in: a function making one proxied read. */
async function proxyOn(store: ProxyStore) {
  const app = createApp(config, { logger: silentLogger, settings: UNLIMITED, store });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cookie = await signInAt(url, config.LEGACY_DEV_USERNAME, PASSWORD);
  return {
    read: () => fetch(`${url}${readPath}`, { headers: { Cookie: cookie, 'X-CSRF': '1' } }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Token requests an instance made (its service client logs each), and the lifetime of its first token. */
function tokensOf(instance: ProxyProcess): { requests: number; lifetimeSeconds: number } {
  const lines = instance
    .output()
    .split('\n')
    .filter((line) => line.includes('new access token'));
  const first = lines[0] ? (JSON.parse(lines[0]) as { time: string; msg: string }) : undefined;
  const expires = first?.msg.match(/expires (\S+)/)?.[1];
  const lifetimeSeconds = first && expires ? Math.round((Date.parse(expires) - Date.parse(first.time)) / 1000) : NaN;
  return { requests: lines.length, lifetimeSeconds };
}

/**
 * The memory store plus one round trip to Redis (PING) per opened session: what a shared store costs at the least, in
 * place, so the wake-ups it causes (on the VMs here, waking an idle process costs more than the exchange itself) are
 * measured where they happen, in the middle of a request.
 */
function memoryPlusRoundTrip(shared: ProxyStore): ProxyStore {
  const memory = memoryStore();
  return {
    ...memory,
    sessions(lifetimes, budgets, now) {
      const sessions = memory.sessions(lifetimes, budgets, now);
      return {
        ...sessions,
        open: async (id, address) => {
          await shared.ping();
          return sessions.open(id, address);
        },
      };
    },
  };
}

const redisStore = await connectRedisStore(redis.url, { keyPrefix: 'bench:' });
const instances: ProxyProcess[] = [];
try {
  const proxies = [
    await proxyOn(memoryStore()),
    await proxyOn(memoryPlusRoundTrip(redisStore)),
    await proxyOn(redisStore),
  ];
  const [memory, floor, onRedis] = (await measureAlternating(
    proxies.map((proxy) => proxy.read),
    requests,
    warmup
  )) as [Stats, Stats, Stats];
  await Promise.all(proxies.map((proxy) => proxy.close()));

  const env = { MEDPLUM_BASE_URL: emulator.url, PROXY_SESSION_STORE_URL: redis.url, LEGACY_DEV_PASSWORD: PASSWORD };
  instances.push(...(await Promise.all([startProxyProcess(env, UNLIMITED), startProxyProcess(env, UNLIMITED)])));
  const cookie = await signInAt(instances[0]?.url ?? '', config.LEGACY_DEV_USERNAME, PASSWORD);
  // Both instances at once, as behind a load balancer: each must still ask Medplum for one token only.
  await Promise.all(
    instances.map(async (instance) => {
      for (let i = 0; i < READS_PER_INSTANCE; i++) {
        const response = await fetch(`${instance.url}${readPath}`, { headers: { Cookie: cookie, 'X-CSRF': '1' } });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
      }
    })
  );
  const tokens = instances.map(tokensOf);
  const tokenRequests = tokens.reduce((sum, t) => sum + t.requests, 0);

  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const ratio = onRedis.p50 / memory.p50;
  console.log(
    `\nSession store cost (${requests} proxied reads each, alternating, ${warmup} warm-up, all on this machine)\n`
  );
  console.log(
    '| stat | memory store | memory + one Redis round trip (floor) | Redis store | Redis vs memory | Redis vs floor |'
  );
  console.log(
    '|------|--------------|---------------------------------------|-------------|-----------------|----------------|'
  );
  for (const stat of ['p50', 'p95', 'mean'] as const) {
    console.log(
      `| ${stat} | ${ms(memory[stat])} | ${ms(floor[stat])} | ${ms(onRedis[stat])} | ${(onRedis[stat] / memory[stat]).toFixed(2)}× | ${(onRedis[stat] / floor[stat]).toFixed(2)}× |`
    );
  }
  console.log(
    `\nRedis vs memory p50: ${ratio.toFixed(2)}× (goal ≤ 1.2×); the floor alone: ${(floor.p50 / memory.p50).toFixed(2)}×`
  );
  console.log(
    `Two instances, ${READS_PER_INSTANCE} reads each: ${tokenRequests} token requests (${tokens.map((t) => t.requests).join(' + ')}) within one token lifetime of ${tokens[0]?.lifetimeSeconds} s (goal 2)`
  );

  if (values.json) {
    const result = {
      requests,
      warmup,
      memory,
      redis: onRedis,
      memoryPlusRoundTrip: floor,
      redisVsMemoryP50: ratio,
      twoInstances: {
        instances: instances.length,
        readsPerInstance: READS_PER_INSTANCE,
        tokenRequestsPerInstance: tokens.map((t) => t.requests),
        tokenRequestsPerTokenLifetime: tokenRequests,
        tokenLifetimeSeconds: tokens[0]?.lifetimeSeconds,
      },
      goals: { redisVsMemoryP50AtMost: 1.2, redisVsFloorP50AtMost: 1.1, tokenRequestsPerTokenLifetime: 2 },
    };
    writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  }
} finally {
  await Promise.all(instances.map((instance) => instance.kill('SIGTERM')));
  await redisStore.close();
  await redis.dispose();
  await emulator.stop();
}

/** Starts the proxy on PROXY_PORT, on the store PROXY_SESSION_STORE_URL names (memory when unset). The app lives in app.ts. */
import { exitOnStartError, startHttpServer, stopOnSignal } from '@org/runtime';
import { createApp } from './app.ts';
import { loadProxyConfig } from './env.ts';
import { proxyLogger } from './log.ts';
import { connectRedisStore } from './store/redis.ts';
import { memoryStore, StoreUnavailableError } from './store/store.ts';

const config = loadProxyConfig();
const log = proxyLogger();
try {
  // Redis unreachable at start: one clear line and exit 1, before listening (a load balancer never sees the instance).
  const store = config.PROXY_SESSION_STORE_URL
    ? await connectRedisStore(config.PROXY_SESSION_STORE_URL, { log })
    : memoryStore();
  const app = createApp(config, { logger: log, store });
  const server = await startHttpServer({
    fetch: app.fetch,
    port: config.PROXY_PORT,
    hostname: config.PROXY_LISTEN_HOST,
    name: 'the proxy',
    portSetting: 'PROXY_PORT',
  });
  log({
    level: 'info',
    msg: `legacy clinic app on ${config.PROXY_PUBLIC_URL} (listening on ${server.hostname}:${server.port}), Medplum at ${config.MEDPLUM_BASE_URL}, sessions in ${store.kind === 'redis' ? 'Redis (shared by every instance)' : 'memory (this instance only)'}`,
  });
  stopOnSignal(async () => {
    await server.close();
    await store.close();
  });
} catch (error) {
  exitOnStartError('proxy', error, (e): e is Error => e instanceof StoreUnavailableError);
}

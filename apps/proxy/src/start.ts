/**
 * Starting the proxy as a process does it: the store PROXY_SESSION_STORE_URL names (memory when unset) connected
 * first, then the app, then the listener. Redis unreachable at start throws StoreUnavailableError before anything
 * listens, so a load balancer never sees an instance that cannot serve.
 */
import { type RunningHttpServer, startHttpServer } from '@org/runtime';
import { createApp } from './app.ts';
import type { ProxyConfig, ProxySettings } from './config.ts';
import type { Logger } from './log.ts';
import { connectRedisStore } from './store/redis.ts';
import { memoryStore, type ProxyStore } from './store/store.ts';

export interface RunningProxy {
  server: RunningHttpServer;
  store: ProxyStore;
  stop(): Promise<void>;
}

export async function startProxy(
  config: ProxyConfig,
  options: { log: Logger; settings?: Partial<ProxySettings> }
): Promise<RunningProxy> {
  const { log } = options;
  const store = config.PROXY_SESSION_STORE_URL
    ? await connectRedisStore(config.PROXY_SESSION_STORE_URL, { log })
    : memoryStore();
  const app = createApp(config, { logger: log, store, ...(options.settings ? { settings: options.settings } : {}) });
  let server: RunningHttpServer;
  try {
    server = await startHttpServer({
      fetch: app.fetch,
      port: config.PROXY_PORT,
      hostname: config.PROXY_LISTEN_HOST,
      name: 'the proxy',
      portSetting: 'PROXY_PORT',
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const where = store.kind === 'redis' ? 'Redis (shared by every instance)' : 'memory (this instance only)';
  log({
    level: 'info',
    msg: `legacy clinic app on ${config.PROXY_PUBLIC_URL} (listening on ${server.hostname}:${server.port}), Medplum at ${config.MEDPLUM_BASE_URL}, sessions in ${where}`,
  });
  return {
    server,
    store,
    stop: async () => {
      await server.close();
      await store.close();
    },
  };
}

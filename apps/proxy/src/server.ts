/** Starts the proxy on PROXY_PORT. Everything else lives in app.ts. */
import { exitOnStartError, startHttpServer, stopOnSignal } from '@org/runtime';
import { createApp } from './app.ts';
import { loadProxyConfig } from './env.ts';
import { proxyLogger } from './log.ts';

const config = loadProxyConfig();
const log = proxyLogger();
const app = createApp(config, { logger: log });
try {
  const server = await startHttpServer({
    fetch: app.fetch,
    port: config.PROXY_PORT,
    hostname: config.PROXY_LISTEN_HOST,
    name: 'the proxy',
    portSetting: 'PROXY_PORT',
  });
  log({
    level: 'info',
    msg: `legacy clinic app on ${config.PROXY_PUBLIC_URL} (listening on ${server.hostname}:${server.port}), Medplum at ${config.MEDPLUM_BASE_URL}`,
  });
  stopOnSignal(() => server.close());
} catch (error) {
  exitOnStartError('proxy', error);
}

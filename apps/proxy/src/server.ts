/** Starts the proxy on PROXY_PORT. Everything else lives in app.ts. */
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { loadProxyConfig } from './env.ts';
import { jsonLogger } from './log.ts';

const config = loadProxyConfig();
const app = createApp(config, { logger: jsonLogger });
const server = serve({ fetch: app.fetch, port: config.PROXY_PORT, hostname: config.PROXY_LISTEN_HOST }, (info) => {
  jsonLogger({
    level: 'info',
    msg: `legacy clinic app on ${config.PROXY_PUBLIC_URL} (listening on ${config.PROXY_LISTEN_HOST}:${info.port}), Medplum at ${config.MEDPLUM_BASE_URL}`,
  });
});

server.on('error', (error: NodeJS.ErrnoException) => {
  const message =
    error.code === 'EADDRINUSE'
      ? `port ${config.PROXY_PORT} is already in use; stop whatever uses it or set PROXY_PORT`
      : `cannot listen on port ${config.PROXY_PORT}: ${error.code ?? error.name}`;
  jsonLogger({ level: 'error', msg: message });
  process.exit(1);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
  });
}

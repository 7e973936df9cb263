/**
 * One proxy instance as a process, for the multi-instance tests and the bench: exactly what `node src/server.ts` does
 * (startProxy: store first, then the listener; configuration from the environment), plus setting overrides given as
 * JSON in the first argument (the limits are code settings, not environment variables).
 *
 *   node test/proxy-instance.ts '{"rateLimitPerUser":10}'
 */
import { exitOnStartError, stopOnSignal } from '@org/runtime';
import { loadProxyConfig } from '../src/env.ts';
import { proxyLogger } from '../src/log.ts';
import { startProxy } from '../src/start.ts';
import { StoreUnavailableError } from '../src/store/store.ts';

try {
  const proxy = await startProxy(loadProxyConfig(), {
    log: proxyLogger(),
    settings: JSON.parse(process.argv[2] ?? '{}'),
  });
  stopOnSignal(proxy.stop);
} catch (error) {
  exitOnStartError('proxy', error, (e): e is Error => e instanceof StoreUnavailableError);
}

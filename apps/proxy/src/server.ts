/** `node src/server.ts`: the proxy as a process (start.ts), stopped by SIGINT/SIGTERM. The app lives in app.ts. */
import { exitOnStartError, stopOnSignal } from '@org/runtime';
import { loadProxyConfig } from './env.ts';
import { proxyLogger } from './log.ts';
import { startProxy } from './start.ts';
import { StoreUnavailableError } from './store/store.ts';

const config = loadProxyConfig();
const log = proxyLogger();
try {
  const proxy = await startProxy(config, { log });
  stopOnSignal(proxy.stop);
} catch (error) {
  // A busy port or an unreachable session store: one line naming the cause, exit 1.
  exitOnStartError('proxy', error, (e): e is Error => e instanceof StoreUnavailableError);
}

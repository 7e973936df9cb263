/** How every long-running process here stops and how it reports a failed start: the same signals, the same exit codes. */
import type { Logger } from 'pino';
import { HttpServerStartError } from './http-server.ts';

/**
 * On SIGINT or SIGTERM: runs `stop` once (close servers, flush state), then exits 0, or 1 when `stop` fails. A second
 * signal while stopping exits 130 at once, for a person whose Ctrl-C seems to hang.
 */
export function stopOnSignal(stop: () => Promise<void>, log?: Logger): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(130);
      stopping = true;
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          log?.error({ reason: error instanceof Error ? error.message : String(error) }, 'could not stop cleanly');
          process.exit(1);
        }
      );
    });
  }
}

/**
 * Ends a process whose start failed in a way a person can fix (a busy port, a bad file): one line on stderr,
 * `<program>: <cause and fix>`, exit 1, no stack trace. Any other error is rethrown, stack and all, as a bug.
 */
export function exitOnStartError(
  program: string,
  error: unknown,
  isExpected: (error: unknown) => error is Error = (e): e is Error => false
): never {
  if (error instanceof HttpServerStartError || isExpected(error)) {
    process.stderr.write(`${program}: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

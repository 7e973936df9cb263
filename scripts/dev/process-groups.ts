/**
 * The long-running children of `pnpm dev`. Each runs in its own process group, so stopping it also stops what it
 * started (next-server under `next dev`). Nothing else would stop those groups, so none may outlive this process,
 * however it ends:
 *
 * - Ctrl-C, SIGTERM, or the terminal closing (SIGHUP): every group gets SIGTERM, then this process exits once they have
 *   (at most 1.5 s later);
 * - its output closing, as under `pnpm dev | head`: the next write fails with EPIPE, and the same stop follows;
 * - any other end (an uncaught error): the groups get SIGTERM as this process exits.
 *
 * Only a SIGKILL of this process leaves them running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface ProcessGroups {
  /** True once a stop has begun: start nothing more, report no failure of what is being stopped. */
  readonly stopping: boolean;
  /** Starts `command` in a process group of its own, its output piped to this process. */
  start(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): ChildProcess;
  /** Stops every group, then exits with `exitCode`. Only the first call counts. */
  stopAll(exitCode: number): void;
}

const STOP_GRACE_MS = 1_500;

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

export function superviseProcessGroups(): ProcessGroups {
  const children: ChildProcess[] = [];
  let stopping = false;

  function signalAll(): void {
    for (const child of children) {
      if (child.pid === undefined || hasExited(child)) continue;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }

  function stopAll(exitCode: number): void {
    if (stopping) return;
    stopping = true;
    signalAll();
    setTimeout(() => process.exit(exitCode), STOP_GRACE_MS).unref();
    const exits = children.map((child) => (hasExited(child) ? undefined : once(child, 'exit')));
    Promise.allSettled(exits).then(() => process.exit(exitCode));
  }

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stopAll(0));
  for (const stream of [process.stdout, process.stderr]) {
    // Without a listener, a failed write (EPIPE: nobody reads the output any more) would end this process at once.
    stream.on('error', (error: NodeJS.ErrnoException) => stopAll(error.code === 'EPIPE' ? 0 : 1));
  }
  process.on('exit', signalAll);

  return {
    get stopping() {
      return stopping;
    },
    start(command, args, options) {
      const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      children.push(child);
      return child;
    },
    stopAll,
  };
}

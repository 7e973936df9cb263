/**
 * The long-running children of `pnpm dev`. Each runs in its own process group, so stopping it also stops what it
 * started (next-server under `next dev`). Nothing else would stop those groups, so none may outlive this process,
 * however it ends:
 *
 * - Ctrl-C, SIGTERM, or the terminal closing (SIGHUP): every group gets SIGTERM, then this process exits once every
 *   process in them has; what is left after 1.5 s gets SIGKILL;
 * - its output closing, as under `pnpm dev | head`: its next line of output fails with EPIPE, and the same stop follows;
 * - any other end (an uncaught error): the groups get SIGTERM as this process exits.
 *
 * Only a SIGKILL of this process leaves them running.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface ProcessGroups {
  /** True once a stop has begun: start nothing more, report no failure of what is being stopped. */
  readonly stopping: boolean;
  /** Starts `command` in a process group of its own, its output piped to this process. */
  start(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): ChildProcess;
  /** Stops every group, then exits with `exitCode`. Only the first call counts. */
  stopAll(exitCode: number): void;
}

const STOP_GRACE_MS = 1_500;
const POLL_MS = 50;

/** Whether any process of the group `pid` leads is left (its leader may be gone while what it started runs on). */
function groupIsAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function superviseProcessGroups(): ProcessGroups {
  const groups: number[] = [];
  let stopping = false;

  function signalAll(signal: NodeJS.Signals): void {
    // Every group, even one whose leader has exited: `next dev` can die and leave its next-server holding the port.
    for (const pid of groups) {
      try {
        process.kill(-pid, signal);
      } catch {
        // already gone
      }
    }
  }

  function stopAll(exitCode: number): void {
    if (stopping) return;
    stopping = true;
    signalAll('SIGTERM');
    const deadline = Date.now() + STOP_GRACE_MS;
    const poll = setInterval(() => {
      const running = groups.some(groupIsAlive);
      if (running && Date.now() < deadline) return;
      clearInterval(poll);
      if (running) signalAll('SIGKILL'); // whatever ignored SIGTERM, or is still busy with it
      process.exit(exitCode);
    }, POLL_MS);
  }

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stopAll(0));
  for (const stream of [process.stdout, process.stderr]) {
    // Without a listener, a failed write (EPIPE: nobody reads the output any more) would end this process at once.
    stream.on('error', (error: NodeJS.ErrnoException) => stopAll(error.code === 'EPIPE' ? 0 : 1));
  }
  process.on('exit', () => signalAll('SIGTERM'));

  return {
    get stopping() {
      return stopping;
    },
    start(command, args, options) {
      const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      if (child.pid !== undefined) groups.push(child.pid); // detached: it leads a group with its own pid as id
      return child;
    },
    stopAll,
  };
}

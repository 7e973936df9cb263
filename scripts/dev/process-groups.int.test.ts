import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const fixture = join(import.meta.dirname, 'process-groups.fixture.ts');
const started: { supervisor: ChildProcess; childPid?: number }[] = [];

/** Running, not a zombie: a stopped child stays in the process table until its parent (or init) reaps it. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return condition();
}

/** The fixture (see its header for the cases); resolves with the pid it watches once that process runs. */
async function startSupervisor(mode = ''): Promise<{ supervisor: ChildProcess; childPid: number }> {
  const supervisor = spawn(process.execPath, [fixture, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  const entry: (typeof started)[number] = { supervisor };
  started.push(entry);
  supervisor.stderr?.resume();
  const childPid = await new Promise<number>((resolve, reject) => {
    let output = '';
    supervisor.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const pid = /^pid (\d+)$/m.exec(output)?.[1];
      if (pid) resolve(Number(pid));
    });
    supervisor.once('exit', () => reject(new Error(`the supervisor exited before its child started: ${output}`)));
  });
  entry.childPid = childPid;
  expect(isRunning(childPid)).toBe(true);
  return { supervisor, childPid };
}

const exited = (process: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    process.exitCode !== null || process.signalCode !== null
      ? resolve(process.exitCode)
      : process.once('exit', (code) => resolve(code))
  );

afterEach(() => {
  // Whatever a failed test left behind: this test's own processes only, by pid.
  for (const { supervisor, childPid } of started.splice(0)) {
    for (const pid of [supervisor.pid, childPid]) {
      try {
        if (pid !== undefined && isRunning(pid)) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

describe.runIf(existsSync('/proc/self/stat'))("pnpm dev's children never outlive it", () => {
  it('stops them when its output closes (`pnpm dev | head`): the next write fails with EPIPE', async () => {
    const { supervisor, childPid } = await startSupervisor();
    supervisor.stdout?.destroy();
    expect(await exited(supervisor)).toBe(0);
    expect(await until(() => !isRunning(childPid))).toBe(true);
  });

  it.each([
    ['on SIGHUP (the terminal closed)', 'SIGHUP', ''],
    ['on SIGTERM', 'SIGTERM', ''],
    ['with SIGKILL when one still runs 1.5 s after SIGTERM', 'SIGTERM', 'stubborn'],
  ] as const)('stops them %s', async (_case, signal, mode) => {
    const { supervisor, childPid } = await startSupervisor(mode);
    supervisor.kill(signal);
    expect(await exited(supervisor)).toBe(0);
    expect(await until(() => !isRunning(childPid))).toBe(true);
  });

  it('stops them when it ends with an uncaught error', async () => {
    const { supervisor, childPid } = await startSupervisor('throw');
    expect(await exited(supervisor)).toBe(1);
    expect(await until(() => !isRunning(childPid))).toBe(true);
  });

  it("stops what an exited app left in its group (next dev's next-server holding the port)", async () => {
    const { supervisor, childPid } = await startSupervisor('leader-exits');
    expect(await exited(supervisor)).toBe(1);
    expect(await until(() => !isRunning(childPid))).toBe(true);
  });

  it('leaves them running while it runs (the check above can tell)', async () => {
    const { childPid } = await startSupervisor();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(isRunning(childPid)).toBe(true);
  });
});

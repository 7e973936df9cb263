import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * One writer at a time for a file in the device's data folder (its outbox, its key file): a lock file that holds the
 * writer's pid, so whoever finds it taken can tell a running holder from one that died. It appears complete or not at
 * all (the pid is written to a temporary file first, then linked into place, which fails if the lock exists, as
 * O_EXCL would), so a lock without a pid can only be left by a crash of the file system's writes, and is stale.
 * Beside the pid, the machine's boot id (Linux): after a reboot, pids start over and an unrelated process may have the
 * dead holder's, so a lock from another boot is stale whatever its pid. (A lock without one, or a system without boot
 * ids, is judged by its pid alone.)
 * What to do about a dead holder is the caller's policy; `takeOverStalePidLock` does it safely.
 */
export type PidLockAttempt =
  | { taken: true; release: () => void }
  | {
      taken: false;
      /** The holder's pid; undefined when the file holds none, or a take-over is under way. */
      holder?: number;
      /** False when the holder died holding the lock (or the file names no process that could hold it). */
      holderAlive: boolean;
    };

/** Locks this process holds: its own pid in any other lock file was left by an earlier process with the same pid. */
const heldHere = new Set<string>();

/** This boot of the machine (a random UUID the Linux kernel picks at boot); empty where there is none. */
const BOOT_ID = (() => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
})();

/** What a lock file of this process holds: `<pid> <boot id>`. */
const lockText = (pid: number) => `${BOOT_ID ? `${pid} ${BOOT_ID}` : pid}\n`;

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds the lock at `path`, as far as its file tells; undefined when it is gone (released a moment ago). */
function heldBy(path: string): (PidLockAttempt & { taken: false }) | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const [pid = '', boot] = text.trim().split(/\s+/);
  const holder = Number.parseInt(pid, 10);
  // 0 and negative numbers are no pid (kill(0) and kill(-1) would answer for a whole group).
  if (!(holder > 0)) return { taken: false, holderAlive: false };
  // Written before the machine restarted: its holder is gone, whoever has that pid now.
  if (boot && BOOT_ID && boot !== BOOT_ID) return { taken: false, holder, holderAlive: false };
  // Our own pid in a lock we do not hold: a process before a restart had it (a container's PID 1, say).
  const alive = holder === process.pid ? heldHere.has(path) : isProcessAlive(holder);
  return { taken: false, holder, holderAlive: alive };
}

/** One attempt to create `path` holding this process's pid (mode 0600). Never waits. */
export function tryPidLock(path: string): PidLockAttempt {
  const mine = lockText(process.pid);
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temporary, mine, { mode: 0o600 });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        linkSync(temporary, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const held = heldBy(path);
        // Gone between the link and the read: released a moment ago, so once more; then report it as held.
        if (held || attempt === 2) return held ?? { taken: false, holderAlive: true };
      }
    }
  } finally {
    unlinkSync(temporary);
  }
  heldHere.add(path);
  let released = false;
  return {
    taken: true,
    release() {
      if (released) return;
      released = true;
      heldHere.delete(path);
      try {
        // Only while it is still ours: a process that took it over as stale keeps its own.
        if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}

/** Takes the lock at `path`, taking it over when its holder died (`takeOverStalePidLock`). Never waits. */
export function takePidLock(path: string): PidLockAttempt {
  const lock = tryPidLock(path);
  return lock.taken || lock.holderAlive ? lock : takeOverStalePidLock(path);
}

/**
 * Where the take-over's own lock lives (named in its error messages), per boot where there are boot ids:
 * `<path>.break-<boot id>`. One left by a process that died mid-take-over before the machine restarted is one no
 * process of this boot can hold, so this boot's take-overs never meet it; it stays in the folder, harmless. (Removing
 * it instead would race, as below, and need a lock of its own.) Without boot ids: `<path>.break`.
 * Every process taking over one lock must build the same name, so a data folder belongs to one kernel (a shared volume
 * mounted by two machines was never safe: each would judge the other's live lock by its own pids), and a device of an
 * older version, which takes over under `<path>.break`, is stopped before a newer one starts.
 */
export function breakLockPath(path: string): string {
  return BOOT_ID ? `${path}.break-${BOOT_ID}` : `${path}.break`;
}

/**
 * Takes over a lock whose holder died, safely against other processes doing the same at the same moment. Removing the
 * stale file and creating a new one is two steps: a second process that also saw the dead holder could remove the
 * first one's new lock, and both would believe they hold it. So the take-over runs under `breakLockPath(path)` (itself
 * a pid lock): the lock is checked again there, and only a still-stale one is removed before the attempt. Whoever comes
 * second finds the winner's live lock. A break lock left in this boot by a process that died mid-take-over
 * (microseconds of work) is reported, not broken, for the same reason.
 */
export function takeOverStalePidLock(path: string): PidLockAttempt {
  const breakPath = breakLockPath(path);
  const breaker = tryPidLock(breakPath);
  if (!breaker.taken) {
    if (breaker.holderAlive) return { taken: false, holderAlive: true }; // another process is taking it over now
    throw new Error(
      `${breakPath} was left by ${describeHolder(breaker)}, which died taking over a stale lock: remove it`
    );
  }
  try {
    const current = tryPidLock(path);
    if (current.taken || current.holderAlive) return current;
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // removed by hand meanwhile: fine
    }
    return tryPidLock(path);
  } finally {
    breaker.release();
  }
}

/** The holder for a message: its pid when the file names one. */
export function describeHolder(attempt: { holder?: number }): string {
  return attempt.holder === undefined ? 'another process' : `process ${attempt.holder}`;
}

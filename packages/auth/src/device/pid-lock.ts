import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * One writer at a time for a file in the device's data folder (its outbox, its key file): a lock file created with
 * O_EXCL that holds the writer's pid, so whoever finds it taken can tell a running holder from one that died. What
 * to do about a dead holder is the caller's policy (the outbox takes the lock over at start; a key change refuses).
 */
export type PidLockAttempt =
  | { taken: true; release: () => void }
  | {
      taken: false;
      /** The holder's pid; undefined when the file holds none (being written, or left empty by a crash). */
      holder?: number;
      /**
       * False when the holder died holding the lock: its pid names no process, or the file has held no pid for longer
       * than a writer needs to write one (a crash or power cut between creating the file and writing the pid).
       */
      holderAlive: boolean;
    };

/** How long a lock file may hold no pid before it counts as left by a crash. */
const PID_WRITE_GRACE_MS = 2_000;

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds the lock at `path`, as far as its file tells. */
function heldBy(path: string): PidLockAttempt & { taken: false } {
  let text: string;
  let ageMs: number;
  try {
    text = readFileSync(path, 'utf8');
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch {
    // Released between the attempt and this read: a live writer was there; the caller may try again.
    return { taken: false, holderAlive: true };
  }
  const holder = Number.parseInt(text, 10);
  // 0 and negative numbers are no pid (kill(0) and kill(-1) would answer for a whole group).
  if (!(holder > 0)) return { taken: false, holderAlive: ageMs < PID_WRITE_GRACE_MS };
  return { taken: false, holder, holderAlive: isProcessAlive(holder) };
}

/** One attempt to create `path` holding this process's pid (mode 0600). Never waits. */
export function tryPidLock(path: string): PidLockAttempt {
  const mine = String(process.pid);
  try {
    writeFileSync(path, `${mine}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return heldBy(path);
  }
  let released = false;
  return {
    taken: true,
    release() {
      if (released) return;
      released = true;
      try {
        // Only while it is still ours: a process that took it over as stale (the outbox's policy) keeps its own.
        if (readFileSync(path, 'utf8').trim() === mine) unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}

/**
 * Takes over a lock whose holder died, safely against other processes doing the same at the same moment. Removing the
 * stale file and creating a new one is two steps: a second process that also saw the dead holder could remove the
 * first one's new lock, and both would believe they hold it. So the take-over runs under `<path>.break` (itself an
 * O_EXCL pid lock): the lock is checked again there, and only a still-stale one is removed before the attempt. Whoever
 * comes second finds the winner's live lock. A `.break` left by a process that died mid-take-over (microseconds of
 * work) is reported, not broken, for the same reason.
 */
export function takeOverStalePidLock(path: string): PidLockAttempt {
  const breakPath = `${path}.break`;
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
    unlinkSync(path);
    return tryPidLock(path);
  } finally {
    breaker.release();
  }
}

/** The holder for a message: its pid, or what the file says when it holds none. */
export function describeHolder(attempt: { holder?: number }): string {
  return attempt.holder === undefined ? 'a process that wrote no pid' : `process ${attempt.holder}`;
}

import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * One writer at a time for a file in the device's data folder (its outbox, its key file): a lock file created with
 * O_EXCL that holds the writer's pid, so whoever finds it taken can tell a running holder from one that died. What
 * to do about a dead holder is the caller's policy (the outbox takes the lock over at start; a key change refuses).
 */
export type PidLockAttempt =
  | { taken: true; release: () => void }
  | {
      taken: false;
      /** The holder's pid; undefined while the holder is still writing it (or the file is not a pid). */
      holder?: number;
      /** False only when the holder's pid is known and no such process exists (it died holding the lock). */
      holderAlive: boolean;
    };

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One attempt to create `path` holding this process's pid (mode 0600). Never waits. */
export function tryPidLock(path: string): PidLockAttempt {
  const mine = String(process.pid);
  try {
    writeFileSync(path, `${mine}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      // released between our attempt and this read: reported as held by a live writer, so the caller tries again
    }
    const holder = Number.parseInt(text, 10);
    if (!Number.isFinite(holder)) return { taken: false, holderAlive: true };
    return { taken: false, holder, holderAlive: isProcessAlive(holder) };
  }
  return {
    taken: true,
    release() {
      try {
        // Only our own lock: a holder that broke it as stale (outbox policy) must keep theirs.
        if (readFileSync(path, 'utf8').trim() === mine) unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}

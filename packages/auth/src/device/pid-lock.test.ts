import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeHolder, tryPidLock } from './pid-lock.ts';

let path: string;
beforeEach(async () => {
  path = join(await mkdtemp(join(tmpdir(), 'pid-lock-')), 'x.lock');
});
afterEach(async () => {
  await rm(join(path, '..'), { recursive: true, force: true });
});

describe('tryPidLock', () => {
  it('one holder at a time: a second attempt names the live holder; release frees it for the next', async () => {
    const first = tryPidLock(path);
    expect(first.taken).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(`${process.pid}\n`);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(tryPidLock(path)).toEqual({ taken: false, holder: process.pid, holderAlive: true });
    if (first.taken) first.release();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(tryPidLock(path).taken).toBe(true);
  });

  it('tells a holder that died from a live one, and a lock still being written from one a crash left empty', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    await writeFile(path, `${gone}\n`);
    expect(tryPidLock(path)).toEqual({ taken: false, holder: gone, holderAlive: false });
    // Empty: being written a moment ago, or left by a crash between creating the file and writing the pid.
    await writeFile(path, '');
    expect(tryPidLock(path)).toEqual({ taken: false, holderAlive: true });
    const aMinuteAgo = new Date(Date.now() - 60_000);
    await utimes(path, aMinuteAgo, aMinuteAgo);
    expect(tryPidLock(path)).toEqual({ taken: false, holderAlive: false });
    // 0 and -1 are no pids (kill would answer for a whole process group).
    for (const notAPid of ['0\n', '-1\n']) {
      await writeFile(path, notAPid);
      await utimes(path, aMinuteAgo, aMinuteAgo);
      expect(tryPidLock(path)).toEqual({ taken: false, holderAlive: false });
    }
    expect(describeHolder({})).toBe('a process that wrote no pid');
    expect(describeHolder({ holder: gone })).toBe(`process ${gone}`);
  });

  it('release leaves alone a lock that someone else took over meanwhile, and a second release does nothing', async () => {
    const mine = tryPidLock(path);
    await writeFile(path, '999999999\n');
    if (mine.taken) mine.release();
    expect(await readFile(path, 'utf8')).toBe('999999999\n');
    await rm(path);
    const again = tryPidLock(path);
    if (mine.taken) mine.release(); // the first lock's release, late: the new lock of this same process stays
    expect(again.taken).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(`${process.pid}\n`);
  });
});

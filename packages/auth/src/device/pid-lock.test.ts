import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tryPidLock } from './pid-lock.ts';

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

  it('tells a holder that died from a live one, and a lock still being written from either', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    await writeFile(path, `${gone}\n`);
    expect(tryPidLock(path)).toEqual({ taken: false, holder: gone, holderAlive: false });
    await writeFile(path, '');
    expect(tryPidLock(path)).toEqual({ taken: false, holderAlive: true });
  });

  it('release leaves alone a lock that someone else took over meanwhile', async () => {
    const mine = tryPidLock(path);
    await writeFile(path, '999999999\n');
    if (mine.taken) mine.release();
    expect(await readFile(path, 'utf8')).toBe('999999999\n');
  });
});

import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeHolder, takeOverStalePidLock, tryPidLock } from './pid-lock.ts';

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

  it("takes over a dead holder's lock, never a live one, and stops at a take-over left half-done", async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    await writeFile(path, `${gone}\n`);
    const mine = takeOverStalePidLock(path);
    expect(mine.taken).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(`${process.pid}\n`);
    await expect(stat(`${path}.break`)).rejects.toMatchObject({ code: 'ENOENT' });
    // Live (ours): left as it is.
    expect(takeOverStalePidLock(path)).toEqual({ taken: false, holder: process.pid, holderAlive: true });
    if (mine.taken) mine.release();
    // Another process is taking it over right now: not ours to touch.
    await writeFile(path, `${gone}\n`);
    await writeFile(`${path}.break`, `${process.pid}\n`);
    expect(takeOverStalePidLock(path)).toEqual({ taken: false, holderAlive: true });
    // …and one that died doing so is reported with the file to remove.
    await writeFile(`${path}.break`, `${gone}\n`);
    expect(() => takeOverStalePidLock(path)).toThrow(`${path}.break was left by process ${gone}, which died`);
    expect(await readFile(path, 'utf8')).toBe(`${gone}\n`);
  });
});

describe('a stale lock taken over by several processes at the same moment', () => {
  it('has exactly one winner (each process: try, and take over when the holder is dead)', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    await writeFile(path, `${gone}\n`);
    const module = join(import.meta.dirname, 'pid-lock.ts');
    // Each child spins until the same instant, then races; a winner holds the lock until every child has answered
    // (its stdin closes), so a child that starts late on a busy machine still meets a live lock.
    const child = `
      const { tryPidLock, takeOverStalePidLock } = await import(${JSON.stringify(module)});
      const at = Number(process.argv[1]);
      while (Date.now() < at) {}
      let lock = tryPidLock(${JSON.stringify(path)});
      if (!lock.taken && !lock.holderAlive) lock = takeOverStalePidLock(${JSON.stringify(path)});
      console.log(lock.taken ? 'won' : 'lost');
      process.stdin.on('end', () => lock.taken && lock.release()).resume();`;
    const at = String(Date.now() + 2000);
    const racers = Array.from({ length: 6 }, () =>
      spawn(process.execPath, ['--input-type=module', '-e', child, at], { stdio: ['pipe', 'pipe', 'inherit'] })
    );
    const outcomes = await Promise.all(
      racers.map(
        (racer) =>
          new Promise<string>((resolve) => {
            racer.stdout.once('data', (chunk: Buffer) => resolve(String(chunk).trim()));
            racer.once('exit', (code) => resolve(`exited with ${code} before answering`));
          })
      )
    );
    await Promise.all(
      racers.map((racer) => {
        const exited = new Promise((resolve) => racer.once('exit', resolve));
        racer.stdin.end();
        return exited;
      })
    );
    expect(outcomes.sort()).toEqual(['lost', 'lost', 'lost', 'lost', 'lost', 'won']);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

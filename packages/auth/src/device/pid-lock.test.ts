import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { breakLockPath, describeHolder, takeOverStalePidLock, takePidLock, tryPidLock } from './pid-lock.ts';

/** This machine's boot id, which every lock file of this boot carries after the pid (Linux; none elsewhere). */
const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';
const BOOT = existsSync(BOOT_ID_FILE) ? readFileSync(BOOT_ID_FILE, 'utf8').trim() : '';
/** What a lock file of `pid` holds on this machine. */
const lockOf = (pid: number) => (BOOT ? `${pid} ${BOOT}\n` : `${pid}\n`);
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
    expect(await readFile(path, 'utf8')).toBe(lockOf(process.pid));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(tryPidLock(path)).toEqual({ taken: false, holder: process.pid, holderAlive: true });
    if (first.taken) first.release();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(tryPidLock(path).taken).toBe(true);
  });

  it('tells a holder that died from a live one: no such process, no pid at all, or our own pid from before', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    await writeFile(path, `${gone}\n`);
    expect(tryPidLock(path)).toEqual({ taken: false, holder: gone, holderAlive: false });
    // A lock appears with its pid or not at all, so one without (a file system's writes lost) is stale at once.
    for (const notAPid of ['', '0\n', '-1\n']) {
      await writeFile(path, notAPid);
      expect(tryPidLock(path)).toEqual({ taken: false, holderAlive: false });
    }
    // Our pid in a lock this process does not hold: a process before a restart had it (a container's PID 1).
    for (const ours of [lockOf(process.pid), `${process.pid}\n`]) {
      await writeFile(path, ours);
      expect(tryPidLock(path)).toEqual({ taken: false, holder: process.pid, holderAlive: false });
    }
    expect(describeHolder({})).toBe('another process');
    expect(describeHolder({ holder: gone })).toBe(`process ${gone}`);
    // No temporary file is left beside it.
    expect((await readdir(join(path, '..'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  // Boot ids are Linux's (where CI runs); elsewhere a lock holds the pid alone, judged as before.
  it.runIf(BOOT)(
    'a lock from before the machine restarted is stale even if its pid is alive now; one from this boot is not',
    async () => {
      const alive = process.ppid; // the test runner: certainly running
      const otherBoot = '00000000-0000-4000-8000-000000000000';
      await writeFile(path, `${alive} ${otherBoot}\n`);
      expect(tryPidLock(path)).toEqual({ taken: false, holder: alive, holderAlive: false });
      for (const sameBoot of [lockOf(alive), `${alive}\n`]) {
        await writeFile(path, sameBoot); // with this boot's id, or none (written before boot ids were)
        expect(tryPidLock(path)).toEqual({ taken: false, holder: alive, holderAlive: true });
        expect(takePidLock(path).taken).toBe(false);
      }
      await writeFile(path, `${alive} ${otherBoot}\n`);
      const taken = takePidLock(path);
      expect(taken.taken).toBe(true);
      expect(await readFile(path, 'utf8')).toBe(lockOf(process.pid));
    }
  );

  it('release leaves alone a lock that someone else took over meanwhile, and a second release does nothing', async () => {
    const mine = tryPidLock(path);
    await writeFile(path, '999999999\n');
    if (mine.taken) mine.release();
    expect(await readFile(path, 'utf8')).toBe('999999999\n');
    await rm(path);
    const again = tryPidLock(path);
    if (mine.taken) mine.release(); // the first lock's release, late: the new lock of this same process stays
    expect(again.taken).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(lockOf(process.pid));
  });

  it("takes over a dead holder's lock, never a live one, and stops at a take-over left half-done", async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    await writeFile(path, `${gone}\n`);
    const mine = takeOverStalePidLock(path);
    expect(mine.taken).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(lockOf(process.pid));
    // Nothing else left in the folder, under any name: the take-over's own lock is gone.
    expect(await readdir(join(path, '..'))).toEqual(['x.lock']);
    // Live (ours): left as it is.
    expect(takeOverStalePidLock(path)).toEqual({ taken: false, holder: process.pid, holderAlive: true });
    if (mine.taken) mine.release();
    // Another process is taking it over right now: not ours to touch.
    await writeFile(path, `${gone}\n`);
    await writeFile(breakLockPath(path), `${process.ppid}\n`); // a live process that is not this one
    expect(takeOverStalePidLock(path)).toEqual({ taken: false, holderAlive: true });
    // …and one that died doing so is reported with the file to remove.
    await writeFile(breakLockPath(path), `${gone}\n`);
    expect(() => takeOverStalePidLock(path)).toThrow(`${breakLockPath(path)} was left by process ${gone}, which died`);
    expect(await readFile(path, 'utf8')).toBe(`${gone}\n`);
  });

  it.runIf(BOOT)('is not stopped by a take-over that died before the machine restarted', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    const otherBoot = '00000000-0000-4000-8000-000000000000';
    await writeFile(path, `${gone} ${otherBoot}\n`);
    // Its break lock, under that boot's name, and one from before break locks were named per boot.
    await writeFile(`${path}.break-${otherBoot}`, `${gone} ${otherBoot}\n`);
    await writeFile(`${path}.break`, `${gone}\n`);
    expect(breakLockPath(path)).toBe(`${path}.break-${BOOT}`);
    const mine = takeOverStalePidLock(path);
    expect(mine.taken).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(lockOf(process.pid));
    // The earlier ones are left as they were (harmless), and this boot's break lock is gone again.
    expect((await readdir(join(path, '..'))).sort()).toEqual(['x.lock', 'x.lock.break', `x.lock.break-${otherBoot}`]);
    if (mine.taken) mine.release();
  });
});

describe('a stale lock taken over by several processes at the same moment', () => {
  it('has exactly one winner (each process: takePidLock, which takes over when the holder is dead)', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    await writeFile(path, `${gone}\n`);
    const module = join(import.meta.dirname, 'pid-lock.ts');
    // Each child spins until the same instant, then races; a winner holds the lock until every child has answered
    // (its stdin closes), so a child that starts late on a busy machine still meets a live lock.
    const child = `
      const { takePidLock } = await import(${JSON.stringify(module)});
      const at = Number(process.argv[1]);
      while (Date.now() < at) {}
      const lock = takePidLock(${JSON.stringify(path)});
      console.log(lock.taken ? 'won' : 'lost');
      process.stdin.on('end', () => lock.taken && lock.release()).resume();`;
    const at = String(Date.now() + 2000);
    const racers = Array.from({ length: 6 }, () => {
      const racer = spawn(process.execPath, ['--input-type=module', '-e', child, at], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      return Object.assign(racer, { exited: new Promise((resolve) => racer.once('exit', resolve)) });
    });
    const outcomes = await Promise.all(
      racers.map(
        (racer) =>
          new Promise<string>((resolve) => {
            racer.stdout.once('data', (chunk: Buffer) => resolve(String(chunk).trim()));
            racer.exited.then((code) => resolve(`exited with ${code} before answering`));
          })
      )
    );
    for (const racer of racers) racer.stdin.end();
    await Promise.all(racers.map((racer) => racer.exited));
    expect(outcomes.sort()).toEqual(['lost', 'lost', 'lost', 'lost', 'lost', 'won']);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

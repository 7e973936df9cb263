import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Replaces the file at `path` with `lines` (each written with a newline), atomically and durably: written to a
 * temporary file beside it, synced, renamed over the old one, and the directory entry synced. A crash at any point
 * leaves the old file or the new one, never half of one. For journals that compact themselves (the device's outbox,
 * the emulator's data file).
 */
export function replaceFileDurably(path: string, lines: Iterable<string>): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    // In chunks: a journal of 10,000 resources is megabytes; one string per chunk keeps memory flat.
    let chunk: string[] = [];
    for (const line of lines) {
      chunk.push(line);
      if (chunk.length === 1_000) {
        writeSync(fd, `${chunk.join('\n')}\n`);
        chunk = [];
      }
    }
    if (chunk.length > 0) writeSync(fd, `${chunk.join('\n')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  syncDirectory(dirname(path));
}

/** Makes a new file or a rename durable (the directory entry itself). A no-op where a directory cannot be opened. */
export function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // some platforms cannot open a directory for fsync; the rename is still atomic there
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

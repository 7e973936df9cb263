import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replaceFileDurably, syncDirectory } from './durable-file.ts';

const folder = mkdtempSync(join(tmpdir(), 'runtime-durable-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('replaceFileDurably', () => {
  it('replaces the whole file with the lines, each ending in a newline, and leaves no temporary file', () => {
    const path = join(folder, 'journal.jsonl');
    writeFileSync(path, 'old 1\nold 2\nold 3\n');
    replaceFileDurably(path, ['{"a":1}', '{"b":2}']);
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
    expect(readdirSync(folder)).toEqual(['journal.jsonl']);
  });

  it('writes any number of lines from an iterable, across chunks, in order', () => {
    const path = join(folder, 'many.jsonl');
    function* lines() {
      for (let n = 0; n < 2_501; n++) yield String(n);
    }
    replaceFileDurably(path, lines());
    const written = readFileSync(path, 'utf8').split('\n');
    expect(written).toHaveLength(2_502);
    expect(written.at(-2)).toBe('2500');
    expect(written.slice(0, -1).every((line, index) => line === String(index))).toBe(true);
  });

  it('syncs a directory that exists, and ignores one that cannot be opened', () => {
    expect(() => syncDirectory(folder)).not.toThrow();
    expect(() => syncDirectory(join(folder, 'missing'))).not.toThrow();
  });
});

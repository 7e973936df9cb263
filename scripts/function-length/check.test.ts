import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { longFunctions } from './check.ts';

const repositoryRoot = join(import.meta.dirname, '..', '..');

/** A function Biome counts as `lines` long: it counts the lines inside the braces, not the signature and closing one. */
function functionOf(lines: number): string {
  const body = Array.from({ length: lines - 2 }, (_, i) => `  n += ${i};`);
  return ['export function probe(): number {', '  let n = 0;', ...body, '  return n;', '}', ''].join('\n');
}

// Each probe runs under the repository's own biome.json, copied to a scratch directory outside the repository (so the
// tree is never touched and the .gitignore does not apply there).
const config = JSON.parse(readFileSync(join(repositoryRoot, 'biome.json'), 'utf8')) as Record<string, unknown>;
delete config.$schema;
const scratch: string[] = [];
function probe(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'function-length-'));
  scratch.push(root);
  writeFileSync(join(root, 'biome.json'), JSON.stringify({ ...config, vcs: { enabled: false } }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return longFunctions(root);
}
afterAll(() => {
  for (const root of scratch) rmSync(root, { recursive: true, force: true });
});

describe('no source function over 80 lines', () => {
  it('holds for every source file of the repository', () => {
    expect(longFunctions()).toEqual([]);
  });

  it('reports an 81-line function in a package src file and in scripts, and lets an 80-line one pass', () => {
    const found = probe({
      'packages/probe/src/long.ts': functionOf(81),
      'packages/probe/src/fits.ts': functionOf(80),
      'scripts/long.ts': functionOf(81),
    });
    expect(found.map((f) => f.at).sort()).toEqual(['packages/probe/src/long.ts:1', 'scripts/long.ts:1']);
    expect(found[0]?.message).toMatch(/too many lines \(81\)/);
  });

  it('leaves tests alone: the same function in a *.test.ts file is not reported', () => {
    expect(probe({ 'packages/probe/src/long.test.ts': functionOf(81) })).toEqual([]);
  });
});

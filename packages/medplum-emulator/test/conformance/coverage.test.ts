import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COVERAGE } from './coverage.ts';

const here = import.meta.dirname;
const readme = readFileSync(join(here, '..', '..', 'README.md'), 'utf8');

/** Every `mirrorOf('<file>', '<commit>')` of the suite. */
function mirrored(): { file: string; commit: string }[] {
  return readdirSync(here)
    .filter((name) => name.endsWith('.test.ts'))
    .flatMap((name) => [
      ...readFileSync(join(here, name), 'utf8').matchAll(/mirrorOf\(\s*'([^']+)',\s*'([0-9a-f]{40})'\s*\)/g),
    ])
    .map((match) => ({ file: match[1] as string, commit: match[2] as string }));
}

describe('the conformance table stays true to the suite', () => {
  it('finds the suite’s mirrorOf calls (so the checks below look at something)', () => {
    expect(mirrored().length).toBeGreaterThanOrEqual(25);
  });

  it('lists every Medplum test file the suite mirrors, at the commit the suite names', () => {
    for (const { file, commit } of mirrored()) {
      expect(COVERAGE.find((entry) => entry.file === file)?.commit, file).toBe(commit);
    }
  });

  it('never says more cases are not ported than the Medplum file has', () => {
    for (const entry of COVERAGE) {
      const notPorted = entry.notPorted.reduce((sum, group) => sum + group.count, 0);
      expect(notPorted, entry.file).toBeLessThanOrEqual(entry.cases);
      for (const group of entry.notPorted) expect(group.why.trim(), entry.file).not.toBe('');
    }
  });

  it('has a README row for every file read, with its commit', () => {
    for (const entry of COVERAGE) {
      const row = readme
        .split('\n')
        .find((line) => line.startsWith(`| ${entry.file.replace('packages/server/src/', '')} |`));
      expect(row, entry.file).toBeDefined();
      expect(row).toContain(entry.commit ? entry.commit.slice(0, 12) : 'none kept');
    }
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURRENT } from './rename-scope/plan.ts';

// The rename runs on a clone of this repository's HEAD, never on the tree itself; the clone installs from pnpm's store.
const script = join(import.meta.dirname, 'rename-scope.ts');
const clone = mkdtempSync(join(tmpdir(), 'rename-scope-'));

const renameScope = (...args: string[]) =>
  spawnSync(process.execPath, [script, ...args], { cwd: clone, encoding: 'utf8' });
const git = (...args: string[]) => execFileSync('git', args, { cwd: clone, encoding: 'utf8' });
/** Tracked files still matching `pattern` (git grep exits 1 when none does). */
function stillNaming(pattern: string, ...flags: string[]): string {
  const result = spawnSync('git', ['grep', '-l', ...flags, pattern], { cwd: clone, encoding: 'utf8' });
  expect(result.status, result.stderr).not.toBe(2);
  return result.stdout;
}

beforeAll(() => {
  const repository = execFileSync('git', ['rev-parse', '--show-toplevel'], {
    cwd: import.meta.dirname,
    encoding: 'utf8',
  });
  execFileSync('git', ['clone', '--quiet', repository.trim(), clone]);
});
afterAll(() => rmSync(clone, { recursive: true, force: true }));

describe('pnpm rename-scope on a clone of the repository', () => {
  it('refuses a tree with uncommitted changes, and writes nothing', () => {
    writeFileSync(join(clone, 'notes.txt'), 'work in progress\n');
    const result = renameScope('@acme');
    rmSync(join(clone, 'notes.txt'));
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/commit or stash your changes first/);
    expect(git('status', '--porcelain')).toBe('');
  });

  it('refuses an invalid scope before touching anything', () => {
    const result = renameScope('@Acme');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/not a valid npm scope/);
    expect(git('status', '--porcelain')).toBe('');
  });

  it('lists what a dry run would change, and changes nothing', () => {
    const result = renameScope('@acme', '--dry-run');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/scope: @org → @acme \([1-9]\d* replacements\)/);
    expect(result.stdout).toContain('packages/auth/package.json');
    expect(git('status', '--porcelain')).toBe('');
  });

  it('renames scope, systems and project everywhere; the workspace resolves, type-checks and passes a unit suite', () => {
    const result = renameScope(
      '--scope',
      '@acme',
      '--project',
      'Acme Health',
      '--systems',
      'https://fhir.acme.example'
    );
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/ok {5}typecheck @acme\/auth/);
    expect(result.stdout).toMatch(/ok {5}unit tests of @acme\/config/);

    // Not as literals: this file is in the clone too, renamed with the rest.
    expect(stillNaming(`${CURRENT.scope}([^A-Za-z0-9_.~-]|$)`, '-E')).toBe('');
    expect(stillNaming(CURRENT.systemBase, '-F')).toBe('');
    expect(stillNaming(CURRENT.projectName, '-F')).toBe('');
    // Kept on purpose (see rename-scope.ts): pnpmw's toolchain cache folder.
    expect(stillNaming('org-medplum-toolchain', '-F')).toContain('pnpmw');

    expect(JSON.parse(readFileSync(join(clone, 'packages/auth/package.json'), 'utf8')).name).toBe('@acme/auth');
    expect(stillNaming('https://fhir.acme.example/fhir/device', '-F')).toMatch(/ids\.ts/);
    expect(existsSync(join(clone, 'packages/auth/node_modules/@acme/config/package.json'))).toBe(true);
    expect(existsSync(join(clone, 'packages/auth/node_modules/@org'))).toBe(false);
    // The rewritten lockfile is the one pnpm would write: a frozen install accepts it.
    const frozen = spawnSync('pnpm', ['install', '--offline', '--frozen-lockfile'], { cwd: clone, encoding: 'utf8' });
    expect(frozen.status, frozen.stderr).toBe(0);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PackCheckResult, packCheck, packCheckProblems } from './check.ts';

// Builds, packs and installs @org/config and @org/auth once (pnpm's store, offline when it can): ~30 s.
const workDir = mkdtempSync(join(tmpdir(), 'pack-check-'));
let result: PackCheckResult;

beforeAll(() => {
  result = packCheck(workDir);
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('@org/auth and @org/config installed from their packed tarballs', () => {
  it('finds no problem at all', () => {
    expect(packCheckProblems(result)).toEqual([]);
  });

  it('imports every published entry of both packages, each exporting something', () => {
    expect(result.entries.map((entry) => entry.specifier)).toEqual(
      expect.arrayContaining(['@org/config', '@org/config/browser', '@org/auth/browser', '@org/auth/server'])
    );
    for (const probe of result.plain) {
      expect(probe.error, probe.specifier).toBeUndefined();
      expect(probe.resolved, probe.specifier).toMatch(/\/node_modules\/@org\/(auth|config)\/dist\/.+\.js$/);
      expect(probe.exportCount, probe.specifier).toBeGreaterThan(0);
    }
  });

  it('sends every server-only entry to the guard under the browser condition, and the guard cannot load', () => {
    const guarded = result.entries.flatMap((entry, index) => (entry.browserGuard ? [result.browser[index]] : []));
    expect(guarded.map((probe) => probe?.specifier)).toEqual(
      expect.arrayContaining(['@org/auth/server', '@org/auth/device', '@org/auth/webhooks', '@org/auth/provisioning'])
    );
    for (const probe of guarded) {
      expect(probe?.resolved, probe?.specifier).toMatch(/\/node_modules\/@org\/auth\/dist\/server-only\.js$/);
      expect(probe?.error, probe?.specifier).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    }
  });

  it('leaves the browser-safe entries loadable under the browser condition', () => {
    const browserSafe = result.browser.filter((_, index) => result.entries[index]?.browserGuard === undefined);
    expect(browserSafe.map((probe) => probe.specifier)).toEqual(
      expect.arrayContaining(['@org/auth/browser', '@org/config/browser'])
    );
    for (const probe of browserSafe) expect(probe.error, probe.specifier).toBeUndefined();
  });

  it('publishes hono and @medplum/core as peers of @org/auth, and no workspace or catalog protocol', () => {
    const auth = result.packed.find((pkg) => pkg.name === '@org/auth');
    expect(Object.keys(auth?.manifest.peerDependencies ?? {}).sort()).toEqual(['@medplum/core', 'hono']);
    expect(auth?.manifest.dependencies).not.toHaveProperty('hono');
    expect(auth?.manifest.dependencies).not.toHaveProperty('@medplum/core');
    for (const pkg of result.packed) expect(JSON.stringify(pkg.manifest)).not.toMatch(/workspace:|catalog:|\.\/src\//);
  });

  it('ships built JavaScript and declarations only, and a TypeScript consumer of every entry type-checks', () => {
    for (const pkg of result.packed) {
      expect(pkg.files.filter((file) => !/^(dist\/.+\.(js|d\.ts)|package\.json|README\.md)$/.test(file))).toEqual([]);
    }
    expect(result.typecheck).toEqual({ ok: true, output: '' });
  });
});

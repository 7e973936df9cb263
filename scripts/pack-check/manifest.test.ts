import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtPath, type Manifest, manifestProblems, publishedEntries } from './manifest.ts';

const root = join(import.meta.dirname, '..', '..');
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Manifest;

const serverOnly: Manifest = {
  name: '@x/auth',
  exports: {
    './browser': './src/browser/index.ts',
    './server': { browser: './src/server-only.ts', default: './src/server/index.ts' },
  },
  publishConfig: {
    exports: {
      './browser': { types: './dist/browser/index.d.ts', import: './dist/browser/index.js' },
      './server': {
        browser: './dist/server-only.js',
        types: './dist/server/index.d.ts',
        import: './dist/server/index.js',
      },
    },
  },
};

function withPublished(subpath: string, target: Record<string, string> | undefined): Manifest {
  const exports = { ...serverOnly.publishConfig?.exports };
  if (target === undefined) delete exports[subpath];
  else exports[subpath] = target;
  return { ...serverOnly, publishConfig: { exports } };
}

describe('the published exports keep the promises of the workspace exports', () => {
  it('holds for @org/auth and @org/config as committed', () => {
    expect(manifestProblems(manifestOf('packages/auth'))).toEqual([]);
    expect(manifestProblems(manifestOf('packages/config'))).toEqual([]);
  });

  it('accepts a server entry whose published map starts with the built guard', () => {
    expect(manifestProblems(serverOnly)).toEqual([]);
  });

  it('flags a server entry published without the browser guard (a browser bundle would get server code)', () => {
    const leaky = withPublished('./server', { types: './dist/server/index.d.ts', import: './dist/server/index.js' });
    expect(manifestProblems(leaky)).toEqual([expect.stringContaining('./server is server-only in the workspace')]);
  });

  it('flags a guard placed after import (bundlers take the first matching condition)', () => {
    const late = withPublished('./server', { import: './dist/server/index.js', browser: './dist/server-only.js' });
    expect(manifestProblems(late)).toHaveLength(1);
  });

  it('flags a subpath missing on either side, and a package without publishConfig.exports', () => {
    expect(manifestProblems(withPublished('./browser', undefined))).toEqual([
      '@x/auth: ./browser is a workspace export missing from publishConfig.exports',
    ]);
    expect(manifestProblems(withPublished('./extra', { import: './dist/extra.js' }))).toEqual([
      '@x/auth: ./extra is published but not a workspace export',
    ]);
    expect(manifestProblems({ name: '@x/bare', exports: { '.': './src/index.ts' } })).toHaveLength(1);
  });

  it('names each published entry as a consumer imports it, with its guard when server-only', () => {
    expect(publishedEntries(serverOnly)).toEqual([
      { specifier: '@x/auth/browser', browserGuard: undefined },
      { specifier: '@x/auth/server', browserGuard: './dist/server-only.js' },
    ]);
    expect(publishedEntries({ name: '@x/config', publishConfig: { exports: { '.': './dist/index.js' } } })).toEqual([
      { specifier: '@x/config', browserGuard: undefined },
    ]);
    expect(builtPath('./src/server-only.ts')).toBe('./dist/server-only.js');
  });
});

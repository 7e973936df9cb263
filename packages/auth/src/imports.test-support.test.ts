import { describe, expect, it } from 'vitest';
import { sourcesImporting } from './testing/source-files.ts';

describe('test support stays out of the shipped code', () => {
  it('no source file of @org/auth imports a testing folder', () => {
    expect(sourcesImporting(import.meta.dirname, /(^|\/)testing(\/|$)/)).toEqual([]);
  });
});

describe('configuration is the CLI’s business', () => {
  it('only the provisioning CLI (and test support) loads @org/config: every entry takes domain options', () => {
    expect(sourcesImporting(import.meta.dirname, /^@org\/config(\/|$)/)).toEqual([
      'provisioning/cli-env.ts',
      'provisioning/cli.ts',
    ]);
    expect(sourcesImporting(import.meta.dirname, /cli-env(\.ts)?$/)).toEqual([
      'provisioning/cli.ts',
      'provisioning/fleet/cli.ts',
    ]);
  });
});

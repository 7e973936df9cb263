import { describe, expect, it } from 'vitest';
import { sourcesImporting } from './testing/source-files.ts';

describe('test support stays out of the shipped code', () => {
  it('no source file of @org/auth imports a testing folder', () => {
    expect(sourcesImporting(import.meta.dirname, /(^|\/)testing(\/|$)/)).toEqual([]);
  });
});

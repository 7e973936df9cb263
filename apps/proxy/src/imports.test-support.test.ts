import { sourcesImporting } from '@org/auth/testing';
import { describe, expect, it } from 'vitest';

describe('test support stays out of the app', () => {
  it('no source file imports @org/auth/testing (only tests may)', () => {
    expect(sourcesImporting(import.meta.dirname, /^@org\/auth\/testing$/)).toEqual([]);
  });
});

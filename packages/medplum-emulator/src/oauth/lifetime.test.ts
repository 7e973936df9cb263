import { describe, expect, it } from 'vitest';
import { parseLifetime } from './lifetime.ts';

describe('parseLifetime', () => {
  it('reads Medplum lifetime strings', () => {
    expect(parseLifetime('2s', '1h')).toBe(2);
    expect(parseLifetime('1m', '1h')).toBe(60);
    expect(parseLifetime('1h', '1m')).toBe(3600);
    expect(parseLifetime('2w', '1h')).toBe(1209600);
  });

  it('falls back for a missing or malformed value', () => {
    expect(parseLifetime(undefined, '1h')).toBe(3600);
    expect(parseLifetime('10 minutes', '2w')).toBe(1209600);
    expect(parseLifetime('5', '1m')).toBe(60);
  });
});

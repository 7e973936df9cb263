import { describe, expect, test } from 'vitest';
import { createAccountDirectory } from './accounts.ts';

describe('createAccountDirectory', () => {
  const directory = createAccountDirectory([
    { email: 'Alice@Example.com', password: 'pw-alice', name: 'Alice' },
    { email: 'bob@example.com', password: 'pw-bob', subject: 'ext-bob' },
  ]);

  test('authenticates by email, case-insensitively, and returns the subject', () => {
    expect(directory.authenticate('alice@example.com', 'pw-alice')).toBe('alice@example.com');
    expect(directory.authenticate(' ALICE@example.com ', 'pw-alice')).toBe('alice@example.com');
    expect(directory.authenticate('bob@example.com', 'pw-bob')).toBe('ext-bob');
  });

  test('rejects a wrong password, another user’s password, an unknown email and empty input', () => {
    expect(directory.authenticate('alice@example.com', 'pw-alice ')).toBeUndefined();
    expect(directory.authenticate('alice@example.com', 'pw-bob')).toBeUndefined();
    expect(directory.authenticate('carol@example.com', 'pw-alice')).toBeUndefined();
    expect(directory.authenticate('', '')).toBeUndefined();
  });

  test('claims carry the email as configured, verified, and the name when there is one', () => {
    expect(directory.claimsFor('alice@example.com')).toEqual({
      sub: 'alice@example.com',
      email: 'Alice@Example.com',
      email_verified: true,
      name: 'Alice',
    });
    expect(directory.claimsFor('ext-bob')).toEqual({ sub: 'ext-bob', email: 'bob@example.com', email_verified: true });
    expect(directory.claimsFor('bob@example.com')).toBeUndefined();
  });

  test('refuses duplicate emails and users without a password', () => {
    expect(() =>
      createAccountDirectory([
        { email: 'a@example.com', password: 'x' },
        { email: 'A@example.com', password: 'y' },
      ])
    ).toThrow(/distinct/);
    expect(() => createAccountDirectory([{ email: 'a@example.com', password: '' }])).toThrow(/password/);
  });
});

import { describe, expect, it } from 'vitest';
import { PASSWORD, TEST_USERS } from '../../test/helpers.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { createUserStore, devUsers } from './store.ts';

describe('legacy users: scrypt password hashes', () => {
  it('hashes with a random salt and verifies', async () => {
    const [a, b] = [await hashPassword('s3cret-pass', 1024), await hashPassword('s3cret-pass', 1024)];
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('s3cret-pass', a)).toBe(true);
    expect(await verifyPassword('s3cret-pasS', a)).toBe(false);
    expect(await verifyPassword('s3cret-pass', 'plain:s3cret-pass')).toBe(false);
  });

  it('the store authenticates by name (case-insensitive) and never exposes the hash', async () => {
    const store = await createUserStore(TEST_USERS, 1024);
    const user = await store.authenticate('Clinician', PASSWORD);
    expect(user?.username).toBe('clinician');
    expect(JSON.stringify(user)).not.toContain('scrypt');
    expect(await store.authenticate('clinician', 'wrong')).toBeUndefined();
    expect(await store.authenticate('nobody', PASSWORD)).toBeUndefined();
  });

  it('seeds the dev users from LEGACY_DEV_USERNAME / LEGACY_DEV_PASSWORD, mapped to seed memberships', () => {
    const users = devUsers({ LEGACY_DEV_USERNAME: 'doc', LEGACY_DEV_PASSWORD: 'pw-123456' });
    expect(users.map((u) => [u.username, u.password])).toEqual([
      ['doc', 'pw-123456'],
      ['reception', 'pw-123456'],
    ]);
    for (const user of users) expect(user.medplum.membership).toMatch(/^ProjectMembership\/[0-9a-f-]{36}$/);
  });
});

import { describe, expect, test } from 'vitest';
import { createMemoryAdapterFactory } from './adapter.ts';

describe('createMemoryAdapterFactory', () => {
  test('stores per model, returns copies, and forgets expired records', async () => {
    let now = 1_000_000;
    const factory = createMemoryAdapterFactory(() => now);
    const codes = factory('AuthorizationCode');
    const sessions = factory('Session');
    await codes.upsert('a', { accountId: 'u1' }, 60);
    expect(await sessions.find('a')).toBeUndefined();
    const found = await codes.find('a');
    expect(found).toEqual({ accountId: 'u1' });
    if (found) found.accountId = 'changed';
    expect((await codes.find('a'))?.accountId).toBe('u1');
    now += 60_000;
    expect(await codes.find('a')).toBeUndefined();
  });

  test('consume marks the record; destroy removes it and its uid index', async () => {
    const factory = createMemoryAdapterFactory(() => 5_000);
    const codes = factory('AuthorizationCode');
    await codes.upsert('c', { accountId: 'u1' });
    await codes.consume('c');
    expect((await codes.find('c'))?.consumed).toBe(5);
    const sessions = factory('Session');
    await sessions.upsert('s', { uid: 'uid-1', accountId: 'u1' });
    expect((await sessions.findByUid('uid-1'))?.accountId).toBe('u1');
    await sessions.destroy('s');
    expect(await sessions.findByUid('uid-1')).toBeUndefined();
  });

  test('revokeByGrantId removes every token of the grant and nothing else', async () => {
    const factory = createMemoryAdapterFactory();
    const access = factory('AccessToken');
    const codes = factory('AuthorizationCode');
    await access.upsert('t1', { grantId: 'g1' });
    await codes.upsert('c1', { grantId: 'g1' });
    await access.upsert('t2', { grantId: 'g2' });
    await access.revokeByGrantId('g1');
    expect(await access.find('t1')).toBeUndefined();
    expect(await codes.find('c1')).toBeUndefined();
    expect(await access.find('t2')).toBeDefined();
  });
});

import { MemoryStorage } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { clientStorageFor } from './token-storage.ts';

describe("tokenStorage: 'memory'", () => {
  it('keeps tokens out of every Web Storage; only the PKCE values of a sign-in in flight go to sessionStorage', () => {
    const session = new MemoryStorage();
    const storage = clientStorageFor('memory', '@app:', session);
    storage.setString('activeLogin', '{"accessToken":"a","refreshToken":"r"}');
    storage.setString('codeVerifier', 'verifier');
    storage.setString('pkceState', 'state');
    expect(storage.getString('activeLogin')).toContain('refreshToken');
    expect(session.getItem('@app:activeLogin')).toBeNull();
    expect(session.getItem('@app:codeVerifier')).toBe('verifier');
    expect(session.getItem('@app:pkceState')).toBe('state');
    // Across a navigation (a new storage over the same sessionStorage): the verifier is back, the tokens are not.
    const afterRedirect = clientStorageFor('memory', '@app:', session);
    expect(afterRedirect.getString('codeVerifier')).toBe('verifier');
    expect(afterRedirect.getString('activeLogin')).toBeUndefined();
  });

  it('clears what it set, in both places', () => {
    const session = new MemoryStorage();
    session.setItem('other-app', 'kept');
    const storage = clientStorageFor('memory', '@app:', session);
    storage.setString('codeVerifier', 'v');
    storage.setString('activeLogin', 'x');
    storage.setString('pkceState', undefined);
    storage.clear();
    expect(storage.getString('activeLogin')).toBeUndefined();
    expect(session.getItem('@app:codeVerifier')).toBeNull();
    expect(session.getItem('other-app')).toBe('kept');
  });
});

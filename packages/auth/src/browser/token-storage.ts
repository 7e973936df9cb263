import { ClientStorage, MemoryStorage } from '@medplum/core';

/**
 * Where the SDK keeps the session in the browser.
 *
 * - `'local'` (Medplum's default): tokens in `localStorage`. The session survives reloads and is shared by tabs — and
 *   a script injected into the page (XSS) can read the access *and refresh* token and use them from anywhere until the
 *   Login is revoked.
 * - `'memory'`: tokens only in this tab's memory; the PKCE values of a sign-in in flight go to `sessionStorage`, so the
 *   redirect and external flows still come back to a verifier. Injected script can still act *in* the page while it
 *   runs, but finds no refresh token to carry away. The trade-off: a reload or a new tab means signing in again.
 */
export type TokenStorage = 'local' | 'memory';

/** The SDK keys of a sign-in in flight, which must survive the navigation to Medplum (or the IdP) and back. */
const PKCE_KEYS = ['codeVerifier', 'pkceState'];

export function clientStorageFor(mode: TokenStorage, prefix: string, session?: Storage): ClientStorage {
  if (mode === 'local') return new ClientStorage(undefined, prefix);
  return new ClientStorage(new PkceInSessionStorage(session ?? globalThis.sessionStorage), prefix);
}

/** A `Storage` that keeps PKCE values in `sessionStorage` and everything else (the tokens) in memory. */
class PkceInSessionStorage extends MemoryStorage {
  readonly #session: Storage;

  constructor(session: Storage) {
    super();
    this.#session = session;
  }

  #isPkce(key: string): boolean {
    return PKCE_KEYS.some((name) => key.endsWith(name));
  }

  override getItem(key: string): string | null {
    return this.#isPkce(key) ? this.#session.getItem(key) : super.getItem(key);
  }

  override setItem(key: string, value: string | null): void {
    if (!this.#isPkce(key)) super.setItem(key, value);
    else if (value === null || value === undefined) this.#session.removeItem(key);
    else this.#session.setItem(key, value);
  }

  override removeItem(key: string): void {
    if (this.#isPkce(key)) this.#session.removeItem(key);
    else super.removeItem(key);
  }

  override clear(): void {
    for (const name of PKCE_KEYS) {
      for (let i = this.#session.length - 1; i >= 0; i--) {
        const key = this.#session.key(i);
        if (key?.endsWith(name)) this.#session.removeItem(key);
      }
    }
    super.clear();
  }
}

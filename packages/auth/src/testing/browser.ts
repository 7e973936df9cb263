import { ClientStorage, MemoryStorage } from '@medplum/core';
import { afterAll, beforeAll, beforeEach, vi } from 'vitest';
import { type BrowserAuth, type BrowserAuthOptions, createBrowserAuth } from '../browser/browser-auth.ts';
import { startSeededEmulator } from './emulator.ts';

/** The web app's origin in tests: the browser is sent back to `${CALLBACK_ORIGIN}/auth/callback`. */
export const CALLBACK_ORIGIN = 'http://localhost:3000';

/**
 * What the SDK needs of a browser to hash the PKCE verifier (S256), as it does in a real browser; without `window`
 * it falls back to `plain`. Call it before each test (`beforeEach(stubBrowserWindow)`).
 */
export function stubBrowserWindow(): void {
  vi.stubGlobal('window', {
    btoa: globalThis.btoa,
    atob: globalThis.atob,
    TextEncoder,
    TextDecoder,
    addEventListener: () => {},
  });
}

/** A browser auth against the Medplum at `baseUrl`, with in-memory storage, at {@link CALLBACK_ORIGIN}. */
export function browserAuthOn(baseUrl: string, options: Pick<BrowserAuthOptions, 'clientId' | 'externalAuth'>) {
  return createBrowserAuth({
    baseUrl,
    clientId: options.clientId,
    ...(options.externalAuth ? { externalAuth: options.externalAuth } : {}),
    storage: new ClientStorage(new MemoryStorage()),
    location: { origin: CALLBACK_ORIGIN, search: '', assign: () => {} },
  });
}

type SeededEmulator = Awaited<ReturnType<typeof startSeededEmulator>>;

/**
 * Setup of a browser integration test file: one seeded emulator for the file (started in beforeAll, stopped in
 * afterAll), the browser stubbed before each test, and `browser()` for a fresh browser auth against the emulator.
 */
export function seededBrowserSuite(): {
  readonly env: SeededEmulator;
  browser(): BrowserAuth;
} {
  let started: SeededEmulator | undefined;
  beforeAll(async () => {
    started = await startSeededEmulator();
  });
  afterAll(async () => {
    await started?.emulator.stop();
  });
  beforeEach(stubBrowserWindow);
  const env = () => {
    if (!started) throw new Error('the emulator starts in beforeAll');
    return started;
  };
  return {
    get env() {
      return env();
    },
    browser: () => {
      const { web, externalIdp } = env().options;
      return browserAuthOn(env().emulator.url, {
        clientId: web.clientId,
        externalAuth: { authorizeUrl: externalIdp.authorizeUrl, clientId: externalIdp.clientId },
      });
    },
  };
}

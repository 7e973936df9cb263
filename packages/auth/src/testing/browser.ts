import { ClientStorage, MemoryStorage } from '@medplum/core';
import { afterAll, beforeAll, beforeEach, vi } from 'vitest';
import { type BrowserAuth, createBrowserAuth, type PublicAuthConfig } from '../browser/browser-auth.ts';
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
export function browserAuthOn(baseUrl: string, config: Omit<PublicAuthConfig, 'NEXT_PUBLIC_MEDPLUM_BASE_URL'>) {
  return createBrowserAuth(
    {
      NEXT_PUBLIC_MEDPLUM_BASE_URL: baseUrl,
      NEXT_PUBLIC_MEDPLUM_CLIENT_ID: config.NEXT_PUBLIC_MEDPLUM_CLIENT_ID,
      NEXT_PUBLIC_IDP_AUTHORIZE_URL: config.NEXT_PUBLIC_IDP_AUTHORIZE_URL,
      NEXT_PUBLIC_IDP_CLIENT_ID: config.NEXT_PUBLIC_IDP_CLIENT_ID,
    },
    {
      storage: new ClientStorage(new MemoryStorage()),
      location: { origin: CALLBACK_ORIGIN, search: '', assign: () => {} },
    }
  );
}

type SeededEmulator = Awaited<ReturnType<typeof startSeededEmulator>>;

/**
 * Setup of a browser integration test file: one seeded emulator for the file (started in beforeAll, stopped in
 * afterAll), the browser stubbed before each test, and `browser()` for a fresh browser auth against the emulator.
 */
export function seededBrowserSuite(overrides: Partial<Omit<PublicAuthConfig, 'NEXT_PUBLIC_MEDPLUM_BASE_URL'>> = {}): {
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
    browser: () => browserAuthOn(env().emulator.url, { ...env().config, ...overrides }),
  };
}

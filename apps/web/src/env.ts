/**
 * The one place apps/web reads its configuration, and where it becomes the options of `@org/auth/browser`.
 *
 * `loadBrowserConfig()` comes from `@org/config/browser`, the browser-safe entry: NEXT_PUBLIC_* variables only, and no
 * module that holds a secret, not even a development default (checked by @org/config's tests; tests/security also
 * scans the build output for every secret value). It reads each variable by its full name, which is what Next needs
 * to inline the value. next.config.ts validates the same schema when the build or dev server starts, so a bad value
 * stops the build with @org/config's message; defaults, `.env` files and URL normalisation come from there too.
 */
import type { BrowserAuthOptions } from '@org/auth/browser';
import { type BrowserConfig, loadBrowserConfig } from '@org/config/browser';

export type WebEnv = Readonly<BrowserConfig>;

export const env: WebEnv = Object.freeze(loadBrowserConfig());

/** Where the browser is sent back after every sign-in (a redirect URI of the web ClientApplication). */
export const CALLBACK_PATH = '/auth/callback';

/** Prefix of every localStorage key the Medplum SDK writes (`activeLogin`, `logins`, `codeVerifier`, `pkceState`). */
export const STORAGE_PREFIX = '@org/web:';

/** The web ClientApplication, its identity provider and where tokens live, as `createBrowserAuth` takes them. */
export const browserAuthOptions = {
  baseUrl: env.NEXT_PUBLIC_MEDPLUM_BASE_URL,
  clientId: env.NEXT_PUBLIC_MEDPLUM_CLIENT_ID,
  externalAuth: { authorizeUrl: env.NEXT_PUBLIC_IDP_AUTHORIZE_URL, clientId: env.NEXT_PUBLIC_IDP_CLIENT_ID },
  tokenStorage: env.NEXT_PUBLIC_TOKEN_STORAGE,
  callbackPath: CALLBACK_PATH,
  storagePrefix: STORAGE_PREFIX,
} as const satisfies BrowserAuthOptions;

/** `true` in `next dev` (for the CSP's 'unsafe-eval', which React's dev build needs). */
export const isDevelopment = process.env.NODE_ENV === 'development';

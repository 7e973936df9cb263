/**
 * The one place apps/web reads its configuration: the NEXT_PUBLIC_* values of `@org/config`'s browser schema.
 *
 * next.config.ts validates them with @org/config's browser schema (so a bad value stops the build with @org/config's
 * message, and defaults, `.env` files and URL normalisation come from there) and hands the parsed values to Next,
 * which inlines them here.
 * The browser schema lives in its own module (`@org/config/browser`), which imports nothing that holds a secret, not
 * even a development default; a test scans the build output for every secret value (tests/security).
 */
import type { BrowserConfig } from '@org/config/browser';

export type WebEnv = Readonly<BrowserConfig>;

function inlined(name: keyof BrowserConfig, value: string | undefined): string {
  if (!value) throw new Error(`${name} was not set at build time; build with \`next build\` (next.config.ts sets it)`);
  return value;
}

// Each variable is written out literally: Next only inlines `process.env.NEXT_PUBLIC_X` spelled in full.
export const env: WebEnv = Object.freeze({
  NEXT_PUBLIC_MEDPLUM_BASE_URL: inlined('NEXT_PUBLIC_MEDPLUM_BASE_URL', process.env.NEXT_PUBLIC_MEDPLUM_BASE_URL),
  NEXT_PUBLIC_MEDPLUM_CLIENT_ID: inlined('NEXT_PUBLIC_MEDPLUM_CLIENT_ID', process.env.NEXT_PUBLIC_MEDPLUM_CLIENT_ID),
  NEXT_PUBLIC_IDP_AUTHORIZE_URL: inlined('NEXT_PUBLIC_IDP_AUTHORIZE_URL', process.env.NEXT_PUBLIC_IDP_AUTHORIZE_URL),
  NEXT_PUBLIC_IDP_CLIENT_ID: inlined('NEXT_PUBLIC_IDP_CLIENT_ID', process.env.NEXT_PUBLIC_IDP_CLIENT_ID),
  NEXT_PUBLIC_PROXY_URL: inlined('NEXT_PUBLIC_PROXY_URL', process.env.NEXT_PUBLIC_PROXY_URL),
  NEXT_PUBLIC_DEVICE_URL: inlined('NEXT_PUBLIC_DEVICE_URL', process.env.NEXT_PUBLIC_DEVICE_URL),
  NEXT_PUBLIC_TOKEN_STORAGE: inlined('NEXT_PUBLIC_TOKEN_STORAGE', process.env.NEXT_PUBLIC_TOKEN_STORAGE) as
    | 'local'
    | 'memory',
});

/** Where the browser is sent back after every sign-in (a redirect URI of the web ClientApplication). */
export const CALLBACK_PATH = '/auth/callback';

/** Prefix of every localStorage key the Medplum SDK writes (`activeLogin`, `logins`, `codeVerifier`, `pkceState`). */
export const STORAGE_PREFIX = '@org/web:';

/** `true` in `next dev` (for the CSP's 'unsafe-eval', which React's dev build needs). */
export const isDevelopment = process.env.NODE_ENV === 'development';

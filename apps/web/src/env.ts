/**
 * The one place apps/web reads its configuration, and where it becomes the options of `@org/auth/browser`.
 *
 * next.config.ts validates the NEXT_PUBLIC_* values with `@org/config/browser`'s schema when the build or dev server
 * starts (a bad value stops the build with @org/config's message; defaults, `.env` files and URL normalisation come
 * from there) and hands the parsed values to Next, which inlines them here. So the browser gets plain constants and
 * neither the schema nor zod (33 KB gzipped) is shipped to it. The browser schema's module imports nothing that holds a
 * secret, not even a development default (checked by @org/config's tests; tests/security also scans the build output
 * for every secret value).
 */
import type { BrowserAuthOptions } from '@org/auth/browser';
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

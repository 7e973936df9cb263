/**
 * Browser-safe configuration: only NEXT_PUBLIC_* variables, nothing secret. Next.js inlines `process.env.NEXT_PUBLIC_X`
 * at build time only where the name is written out literally, so each one is read by name here.
 */

import { webBrowserSchema } from './browser-schema.ts';
import { parseConfig } from './parse.ts';

export { webBrowserSchema } from './browser-schema.ts';
export { ConfigError, type ConfigProblem } from './parse.ts';

export type BrowserConfig = ReturnType<typeof loadBrowserConfig>;

export function loadBrowserConfig() {
  return parseConfig(webBrowserSchema, {
    NEXT_PUBLIC_MEDPLUM_BASE_URL: process.env.NEXT_PUBLIC_MEDPLUM_BASE_URL,
    NEXT_PUBLIC_MEDPLUM_CLIENT_ID: process.env.NEXT_PUBLIC_MEDPLUM_CLIENT_ID,
    NEXT_PUBLIC_IDP_AUTHORIZE_URL: process.env.NEXT_PUBLIC_IDP_AUTHORIZE_URL,
    NEXT_PUBLIC_IDP_CLIENT_ID: process.env.NEXT_PUBLIC_IDP_CLIENT_ID,
    NEXT_PUBLIC_PROXY_URL: process.env.NEXT_PUBLIC_PROXY_URL,
    NEXT_PUBLIC_DEVICE_URL: process.env.NEXT_PUBLIC_DEVICE_URL,
    NEXT_PUBLIC_TOKEN_STORAGE: process.env.NEXT_PUBLIC_TOKEN_STORAGE,
  });
}

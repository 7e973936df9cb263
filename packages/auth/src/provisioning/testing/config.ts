import {
  composeSchemas,
  deviceSchema,
  devUserSchema,
  identityProviderSchema,
  loadConfig,
  proxySchema,
  webBrowserSchema,
} from '@org/config';
import type { AuthModelConfig } from '../model.ts';

/** The configuration defaults of @org/config (no environment, no env files), for tests. */
export const TEST_CONFIG: AuthModelConfig = loadConfig(
  composeSchemas(webBrowserSchema, identityProviderSchema, proxySchema, deviceSchema, devUserSchema),
  { env: {}, envFiles: [] }
);

import { loadConfig } from '@org/config';
import { type AuthModelConfig, authModelSchema } from '../model.ts';

/** The configuration defaults of @org/config (no environment, no env files), for tests. */
export const TEST_CONFIG: AuthModelConfig = loadConfig(authModelSchema, { env: {}, envFiles: [] });

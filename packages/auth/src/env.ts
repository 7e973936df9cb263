/**
 * The only file of @org/auth that loads configuration (through @org/config): for the provisioning CLI.
 */
import {
  composeSchemas,
  defaultEnvFiles,
  deviceSchema,
  devUserSchema,
  identityProviderSchema,
  loadConfigOrExit,
  medplumSchema,
  provisioningSchema,
  proxySchema,
  webBrowserSchema,
} from '@org/config';
import { type AuthModelConfig, authModelSchema } from './provisioning/model.ts';

/**
 * `seed`: everything, dev defaults allowed (the emulator is local). `provision`: only what is written to the real
 * project; the proxy and device client secrets are left out because Medplum generates them (they are the output).
 */
export function loadProvisioningEnv(command: 'seed' | 'provision') {
  const files = defaultEnvFiles();
  const schema =
    command === 'seed'
      ? composeSchemas(medplumSchema, authModelSchema)
      : composeSchemas(
          medplumSchema,
          webBrowserSchema.pick({
            NEXT_PUBLIC_MEDPLUM_CLIENT_ID: true,
            NEXT_PUBLIC_IDP_AUTHORIZE_URL: true,
            NEXT_PUBLIC_IDP_CLIENT_ID: true,
          }),
          identityProviderSchema,
          proxySchema.pick({ PROXY_MEDPLUM_CLIENT_ID: true }),
          deviceSchema.omit({ DEVICE_MEDPLUM_CLIENT_SECRET: true, DEVICE_AUTH_METHOD: true, DEVICE_DATA_DIR: true }),
          devUserSchema,
          provisioningSchema
        );
  const loaded = loadConfigOrExit(schema, { envFiles: files }) as Record<string, unknown>;
  const config = {
    PROXY_MEDPLUM_CLIENT_SECRET: '',
    DEVICE_MEDPLUM_CLIENT_SECRET: '',
    ...loaded,
  } as AuthModelConfig & { MEDPLUM_BASE_URL: string };
  const clientId = loaded.MEDPLUM_ADMIN_CLIENT_ID as string | undefined;
  const clientSecret = loaded.MEDPLUM_ADMIN_CLIENT_SECRET as string | undefined;
  return {
    config,
    /** A project-admin ClientApplication of the target project (not needed for `seed`). */
    admin: clientId && clientSecret ? { clientId, clientSecret } : undefined,
    envLocalFile: files[files.length - 1] ?? '.env.local',
  };
}

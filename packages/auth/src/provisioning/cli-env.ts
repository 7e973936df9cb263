/**
 * The provisioning CLI's configuration: the only module of @org/auth that reads the environment (through
 * @org/config), and the one place where environment variables become the auth model's options. The dev defaults
 * (client ids, dev secrets, the dev user) are @org/config's schema defaults; `devAuthModelOptions()` is this mapping
 * applied to an empty environment.
 */
import {
  composeSchemas,
  defaultEnvFiles,
  deviceSchema,
  devUserSchema,
  type EnvInput,
  identityProviderSchema,
  isLoopbackUrl,
  loadConfigOrExit,
  medplumSchema,
  parseConfig,
  pipelineSchema,
  provisioningSchema,
  proxySchema,
  webBrowserSchema,
} from '@org/config';
import { DEV_ADMIN } from './dev-admin.ts';
import { type AuthModelOptions, type AuthModelOverrides, withOverrides } from './model/options.ts';
import { deviceEndpoints } from './public-urls.ts';

type Out<S extends { _zod: { output: unknown } }> = S['_zod']['output'];
type Secret<S extends { _zod: { output: unknown } }, K extends keyof Out<S>> = Partial<Pick<Out<S>, K>>;

/**
 * The variables the model is built from. The proxy and device client secrets are absent for `provision`: Medplum
 * generates them (they are its output).
 */
export type AuthModelEnv = Pick<
  Out<typeof webBrowserSchema>,
  'NEXT_PUBLIC_MEDPLUM_CLIENT_ID' | 'NEXT_PUBLIC_IDP_CLIENT_ID' | 'NEXT_PUBLIC_IDP_AUTHORIZE_URL'
> &
  Pick<Out<typeof identityProviderSchema>, 'IDP_ISSUER' | 'IDP_CLIENT_SECRET'> &
  Pick<Out<typeof proxySchema>, 'PROXY_MEDPLUM_CLIENT_ID'> &
  Secret<typeof proxySchema, 'PROXY_MEDPLUM_CLIENT_SECRET'> &
  Pick<
    Out<typeof deviceSchema>,
    | 'DEVICE_MEDPLUM_CLIENT_ID'
    | 'DEVICE_WEBHOOK_PORT'
    | 'DEVICE_WEBHOOK_USERNAME'
    | 'DEVICE_WEBHOOK_PASSWORD'
    | 'DEVICE_WEBHOOK_SECRET'
  > &
  Secret<typeof deviceSchema, 'DEVICE_MEDPLUM_CLIENT_SECRET'> &
  Pick<Out<typeof pipelineSchema>, 'PIPELINE_MEDPLUM_CLIENT_ID'> &
  Secret<typeof pipelineSchema, 'PIPELINE_MEDPLUM_CLIENT_SECRET'> &
  Out<typeof devUserSchema>;

/** Environment → options. Locally the device is reached at `http://localhost:<DEVICE_WEBHOOK_PORT>/`. */
export function authModelOptionsFrom(env: AuthModelEnv): AuthModelOptions {
  const device = deviceEndpoints(`http://localhost:${env.DEVICE_WEBHOOK_PORT}/`);
  return {
    web: { clientId: env.NEXT_PUBLIC_MEDPLUM_CLIENT_ID },
    externalIdp: {
      issuer: env.IDP_ISSUER,
      authorizeUrl: env.NEXT_PUBLIC_IDP_AUTHORIZE_URL,
      clientId: env.NEXT_PUBLIC_IDP_CLIENT_ID,
      clientSecret: env.IDP_CLIENT_SECRET,
    },
    proxy: { clientId: env.PROXY_MEDPLUM_CLIENT_ID, clientSecret: env.PROXY_MEDPLUM_CLIENT_SECRET },
    device: {
      clientId: env.DEVICE_MEDPLUM_CLIENT_ID,
      clientSecret: env.DEVICE_MEDPLUM_CLIENT_SECRET,
      jwksUri: device.jwksUri,
      webhook: {
        url: device.webhookUrl,
        username: env.DEVICE_WEBHOOK_USERNAME,
        password: env.DEVICE_WEBHOOK_PASSWORD,
        secret: env.DEVICE_WEBHOOK_SECRET,
      },
    },
    pipeline: { clientId: env.PIPELINE_MEDPLUM_CLIENT_ID, clientSecret: env.PIPELINE_MEDPLUM_CLIENT_SECRET },
    devUser: { email: env.DEV_PRACTITIONER_EMAIL, password: env.DEV_PRACTITIONER_PASSWORD },
  };
}

/** `seed`: everything, dev defaults allowed (the emulator is local). */
const seedSchema = composeSchemas(
  medplumSchema,
  webBrowserSchema,
  identityProviderSchema,
  proxySchema,
  deviceSchema,
  pipelineSchema,
  devUserSchema
);

/** `provision`: only what is written to the real project, plus the admin client it signs in with. */
const provisionSchema = composeSchemas(
  medplumSchema,
  webBrowserSchema.pick({
    NEXT_PUBLIC_MEDPLUM_CLIENT_ID: true,
    NEXT_PUBLIC_IDP_AUTHORIZE_URL: true,
    NEXT_PUBLIC_IDP_CLIENT_ID: true,
  }),
  identityProviderSchema,
  proxySchema.pick({ PROXY_MEDPLUM_CLIENT_ID: true }),
  deviceSchema.omit({ DEVICE_MEDPLUM_CLIENT_SECRET: true, DEVICE_AUTH_METHOD: true, DEVICE_DATA_DIR: true }),
  pipelineSchema.pick({ PIPELINE_MEDPLUM_CLIENT_ID: true }),
  devUserSchema,
  provisioningSchema
);

/**
 * The model's options from @org/config's defaults and `env` only (no process environment, no env files): the dev
 * model the emulator is seeded with, for tests and harnesses. `overrides` change single fields.
 */
export function devAuthModelOptions(overrides: AuthModelOverrides = {}, env: EnvInput = {}): AuthModelOptions {
  return withOverrides(authModelOptionsFrom(parseConfig(seedSchema, env)), overrides);
}

export interface CliEnv {
  medplumBaseUrl: string;
  model: AuthModelOptions;
  /** A project-admin ClientApplication of the target project (not needed for `seed`). */
  admin: { clientId: string; clientSecret: string } | undefined;
  /** Where new client ids and secrets are written by default. */
  envLocalFile: string;
}

export function loadCliEnv(command: 'seed' | 'provision'): CliEnv {
  const envFiles = defaultEnvFiles();
  const envLocalFile = envFiles[envFiles.length - 1] ?? '.env.local';
  if (command === 'seed') {
    const config = loadConfigOrExit(seedSchema, { envFiles });
    return {
      medplumBaseUrl: config.MEDPLUM_BASE_URL,
      model: authModelOptionsFrom(config),
      admin: undefined,
      envLocalFile,
    };
  }
  const config = loadConfigOrExit(provisionSchema, { envFiles });
  const { MEDPLUM_ADMIN_CLIENT_ID: clientId, MEDPLUM_ADMIN_CLIENT_SECRET: clientSecret } = config;
  return {
    medplumBaseUrl: config.MEDPLUM_BASE_URL,
    model: authModelOptionsFrom(config),
    admin: clientId && clientSecret ? { clientId, clientSecret } : undefined,
    envLocalFile,
  };
}

/** Commands that only talk to a project as its admin (the device fleet): the server and the admin client. */
const adminSchema = composeSchemas(medplumSchema, provisioningSchema);

/** `localDefault`: no admin is configured and the server is local, so the seed's dev admin is used. */
export function loadAdminCliEnv(): Pick<CliEnv, 'medplumBaseUrl' | 'admin'> & { localDefault: boolean } {
  const config = loadConfigOrExit(adminSchema, { envFiles: defaultEnvFiles() });
  const { MEDPLUM_ADMIN_CLIENT_ID: clientId, MEDPLUM_ADMIN_CLIENT_SECRET: clientSecret } = config;
  // On the local emulator (`pnpm dev`), the admin client its seed holds.
  const localAdmin = isLoopbackUrl(config.MEDPLUM_BASE_URL)
    ? { clientId: DEV_ADMIN.clientId, clientSecret: DEV_ADMIN.secret }
    : undefined;
  return {
    medplumBaseUrl: config.MEDPLUM_BASE_URL,
    admin: clientId && clientSecret ? { clientId, clientSecret } : localAdmin,
    localDefault: !(clientId && clientSecret) && localAdmin !== undefined,
  };
}

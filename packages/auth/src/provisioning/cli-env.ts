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

/** A project-admin ClientApplication's credentials. */
export interface AdminCredentials {
  clientId: string;
  clientSecret: string;
}

/** The variables the admin is chosen from. */
export type AdminEnv = Pick<Out<typeof medplumSchema>, 'MEDPLUM_BASE_URL'> & Out<typeof provisioningSchema>;

/** The admin an admin command signs in as; `localDefault`: none is configured, so it is the seed's dev admin. */
export interface AdminChoice {
  admin: AdminCredentials | undefined;
  localDefault: boolean;
}

/**
 * The one rule for every admin command (`provision`, the device fleet): the configured admin client
 * (MEDPLUM_ADMIN_CLIENT_ID and _SECRET, both set); without one, and only when Medplum is on this machine (the
 * emulator of `pnpm dev`), the dev admin its seed holds; otherwise none, and the command says what to set. The dev
 * admin's secret is public (it is in this repository), so it is never sent off this machine, and a local Medplum whose
 * data lacks it simply refuses the sign-in.
 */
export function chooseAdmin(config: AdminEnv): AdminChoice {
  const { MEDPLUM_ADMIN_CLIENT_ID: clientId, MEDPLUM_ADMIN_CLIENT_SECRET: clientSecret } = config;
  if (clientId && clientSecret) return { admin: { clientId, clientSecret }, localDefault: false };
  if (!isLoopbackUrl(config.MEDPLUM_BASE_URL)) return { admin: undefined, localDefault: false };
  return { admin: { clientId: DEV_ADMIN.clientId, clientSecret: DEV_ADMIN.secret }, localDefault: true };
}

export interface CliEnv extends AdminChoice {
  medplumBaseUrl: string;
  model: AuthModelOptions;
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
      localDefault: false,
      envLocalFile,
    };
  }
  const config = loadConfigOrExit(provisionSchema, { envFiles });
  return {
    medplumBaseUrl: config.MEDPLUM_BASE_URL,
    model: authModelOptionsFrom(config),
    ...chooseAdmin(config),
    envLocalFile,
  };
}

/** Commands that only talk to a project as its admin (the device fleet): the server and the admin client. */
const adminSchema = composeSchemas(medplumSchema, provisioningSchema);

export function loadAdminCliEnv(): Pick<CliEnv, 'medplumBaseUrl'> & AdminChoice {
  const config = loadConfigOrExit(adminSchema, { envFiles: defaultEnvFiles() });
  return {
    medplumBaseUrl: config.MEDPLUM_BASE_URL,
    ...chooseAdmin(config),
  };
}

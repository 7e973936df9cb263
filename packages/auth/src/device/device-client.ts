import {
  basicAuth,
  type CredentialMethod,
  type CredentialStrategy,
  clientCredentials,
  privateKeyJwt,
} from '../server/credentials.ts';
import { createServiceClient, type ServiceClient, type ServiceClientOptions } from '../server/service-client.ts';
import { type DeviceKeyStore, openDeviceKeyStore } from './key-store.ts';

export type DeviceAuthMethod = CredentialMethod;

export interface DeviceCredentialOptions {
  /** `DEVICE_AUTH_METHOD`; default client-credentials. */
  method?: DeviceAuthMethod;
  /** `DEVICE_MEDPLUM_CLIENT_ID`. */
  clientId: string;
  /** `DEVICE_MEDPLUM_CLIENT_SECRET`; not used (and not needed on the device) with private-key-jwt. */
  clientSecret?: string;
  /** `DEVICE_DATA_DIR`; where the private key is kept (private-key-jwt). */
  dataDir?: string;
}

export interface DeviceCredentials {
  strategy: CredentialStrategy;
  /** Present with private-key-jwt: serve `await keys.jwks()` at the ClientApplication's jwksUri. */
  keys?: DeviceKeyStore & { created: boolean };
}

/**
 * private_key_jwt with the key the file holds at the moment of signing: after a key rotation the next assertion
 * carries the new kid, without a restart (the SDK never signs: every token request goes through `apply`).
 */
function rotatingPrivateKeyJwt(clientId: string, keys: DeviceKeyStore): CredentialStrategy {
  const withKey = (key: ReturnType<DeviceKeyStore['last']>) => privateKeyJwt({ clientId, ...key });
  const base = withKey(keys.last());
  return {
    method: base.method,
    clientId: base.clientId,
    usesTokens: base.usesTokens,
    sdkCanRelogin: base.sdkCanRelogin,
    describe: () => withKey(keys.last()).describe(),
    async apply(medplum, context) {
      await withKey(await keys.current()).apply(medplum, context);
    },
  };
}

/** One interface, three ways for the analyzer to prove who it is. */
export async function createDeviceCredentials(options: DeviceCredentialOptions): Promise<DeviceCredentials> {
  const method = options.method ?? 'client-credentials';
  switch (method) {
    case 'client-credentials':
      return { strategy: clientCredentials({ clientId: options.clientId, clientSecret: options.clientSecret ?? '' }) };
    case 'basic':
      return { strategy: basicAuth({ clientId: options.clientId, clientSecret: options.clientSecret ?? '' }) };
    case 'private-key-jwt': {
      if (!options.dataDir) throw new Error('private-key-jwt needs a data folder for the key pair');
      const keys = await openDeviceKeyStore(options.dataDir);
      return { strategy: rotatingPrivateKeyJwt(options.clientId, keys), keys };
    }
    default:
      throw new Error(`unknown device auth method ${JSON.stringify(method)}`);
  }
}

export interface DeviceClientOptions
  extends DeviceCredentialOptions,
    Omit<ServiceClientOptions, 'credentials' | 'baseUrl'> {
  baseUrl: string;
}

export interface DeviceClient extends ServiceClient {
  /** Why this method, in one line (Basic says it is the fallback); with private-key-jwt, names the current kid. */
  readonly description: string;
  /** private-key-jwt only: the key file, followed across rotations; publish `await keys.jwks()`. */
  readonly keys: DeviceKeyStore | undefined;
}

/** The device's long-lived Medplum client; logs the method in use once, with a warning for Basic. */
export async function createDeviceClient(options: DeviceClientOptions): Promise<DeviceClient> {
  const { strategy, keys } = await createDeviceCredentials(options);
  const description = strategy.describe();
  options.log?.(strategy.method === 'basic' ? `WARNING ${description}` : description);
  if (keys?.created) options.log?.(`private-key-jwt: new key pair ${keys.last().kid} written to ${keys.file}`);
  const client = createServiceClient({ ...options, credentials: strategy });
  return Object.defineProperties(client, {
    description: { get: () => strategy.describe(), enumerable: true },
    keys: { value: keys, enumerable: true },
  }) as DeviceClient;
}

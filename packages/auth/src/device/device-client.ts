import {
  basicAuth,
  type CredentialMethod,
  type CredentialStrategy,
  clientCredentials,
  privateKeyJwt,
} from '../server/credentials.ts';
import { createServiceClient, type ServiceClient, type ServiceClientOptions } from '../server/service-client.ts';
import { type DeviceKey, loadOrCreateDeviceKey } from './device-key.ts';

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
  /** Present with private-key-jwt: serve `key.jwks` at the ClientApplication's jwksUri. */
  key?: DeviceKey;
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
      const key = await loadOrCreateDeviceKey(options.dataDir);
      return { strategy: privateKeyJwt({ clientId: options.clientId, ...key }), key };
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
  /** Why this method, in one line (Basic says it is the fallback). */
  readonly description: string;
  /** The JWKS to publish (private-key-jwt only). */
  readonly jwks: { keys: object[] } | undefined;
}

/** The device's long-lived Medplum client; logs the method in use once, with a warning for Basic. */
export async function createDeviceClient(options: DeviceClientOptions): Promise<DeviceClient> {
  const { strategy, key } = await createDeviceCredentials(options);
  const description = strategy.describe();
  options.log?.(strategy.method === 'basic' ? `WARNING ${description}` : description);
  if (key?.created) options.log?.(`private-key-jwt: new key pair ${key.kid} written to ${key.file}`);
  const client = createServiceClient({ ...options, credentials: strategy });
  return Object.assign(client, { description, jwks: key?.jwks });
}

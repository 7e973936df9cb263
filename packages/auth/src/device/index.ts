/**
 * Pattern 3, device: the analyzer's credential strategies behind one interface (client-credentials by default, Basic
 * as the labelled fallback, private-key-jwt with a key pair kept in the data folder). Node only.
 *
 *   const medplum = await createDeviceClient({ baseUrl, method: config.DEVICE_AUTH_METHOD,
 *     clientId: config.DEVICE_MEDPLUM_CLIENT_ID, clientSecret: config.DEVICE_MEDPLUM_CLIENT_SECRET,
 *     dataDir: config.DEVICE_DATA_DIR, log: console.log });
 *   app.get('/.well-known/jwks.json', async (c) => c.json(await medplum.keys?.jwks() ?? { keys: [] }));
 *
 * Key rotation without downtime, run on the device's machine while the device keeps running:
 *   await rotateDeviceKey(dataDir);  // new key + kid signs; the old public key stays in the JWKS
 *   await retireDeviceKey(dataDir);  // the old key leaves the JWKS
 */

export { FHIR_ID_PATTERN, isFhirId } from '../fhir-id.ts';
export {
  type ClientAssertionKey,
  MAX_ASSERTION_LIFETIME_SECONDS,
  signClientAssertion,
} from '../server/client-assertion.ts';
export type { CredentialStrategy } from '../server/credentials.ts';
export { type FhirCalls, outcomeStatus, type ServiceClient } from '../server/service-client.ts';
export {
  createDeviceClient,
  createDeviceCredentials,
  type DeviceAuthMethod,
  type DeviceClient,
  type DeviceClientOptions,
  type DeviceCredentialOptions,
  type DeviceCredentials,
} from './device-client.ts';
export {
  DEVICE_KEY_FILE,
  type DeviceJwks,
  type DeviceKey,
  DeviceKeyError,
  deviceKeyFile,
  type KeyRotation,
  loadOrCreateDeviceKey,
  readDeviceKey,
  retireDeviceKey,
  rotateDeviceKey,
} from './device-key.ts';
export { type DeviceKeyStore, openDeviceKeyStore } from './key-store.ts';
export { breakLockPath, describeHolder, type PidLockAttempt, takePidLock } from './pid-lock.ts';

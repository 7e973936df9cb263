/**
 * The auth model as data (`buildAuthModel`), the emulator's seed built from it (`buildEmulatorSeed`), and
 * `provisionProject`, which makes a real Medplum project match it. Node only. The options are domain-named
 * (`{ web, externalIdp, proxy, device, devUser }`); `devAuthModelOptions()` (in `@org/auth/testing`) gives the local dev model.
 */

export {
  DEVICE_IDENTIFIERS,
  deviceResultSystem,
  MODEL_KEYS,
  SEED_IDS,
  SUBSCRIPTION_EXTENSIONS,
  SYSTEMS,
} from '../ids.ts';
export { DEV_ADMIN, type ProjectAdmin, projectAdminEntries } from './dev-admin.ts';
export { updateEnvFile } from './env-file.ts';
export { writeCredentialsFile } from './fleet/credentials-file.ts';
export {
  type DeviceAuthMethod,
  type DeviceCredentials,
  type EnrollRequest,
  enrollDevice,
  FLEET_TAG_CODE,
  type FleetDevice,
  FleetError,
  listDevices,
  revokeDevice,
  rotateDeviceSecret,
} from './fleet/fleet.ts';
export { nameUuid } from './ids.ts';
export {
  type AuthModel,
  type AuthModelOptions,
  type AuthModelOverrides,
  buildAuthModel,
  buildEmulatorSeed,
  type ClientName,
  type ConfidentialClientOptions,
  clientWithMembership,
  type DeviceClientOptions,
  type ExternalIdpOptions,
  identityProviderFor,
  type ModelEntry,
  type ProvisionVia,
  type WebClientOptions,
  withOverrides,
} from './model/index.ts';
export {
  type NewClientCredentials,
  type ProvisionAction,
  type ProvisionOptions,
  type ProvisionReport,
  type ProvisionStep,
  provisionProject,
} from './provision.ts';
export { deviceEndpoints } from './public-urls.ts';

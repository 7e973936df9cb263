/**
 * The auth model as data (`buildAuthModel`), the emulator's seed built from it (`buildEmulatorSeed`), and
 * `provisionProject`, which makes a real Medplum project match it. Node only.
 */

export { updateEnvFile } from './env-file.ts';
export { deviceResultSystem, nameUuid, SEED_IDS, SUBSCRIPTION_EXTENSIONS, SYSTEMS } from './ids.ts';
export {
  type AuthModel,
  type AuthModelConfig,
  type AuthModelOptions,
  authModelSchema,
  buildAuthModel,
  buildEmulatorSeed,
  identityProviderFor,
  MODEL_KEYS,
  type ModelEntry,
  type ProvisionVia,
} from './model.ts';
export {
  type NewClientCredentials,
  type ProvisionAction,
  type ProvisionOptions,
  type ProvisionReport,
  type ProvisionStep,
  provisionProject,
} from './provision.ts';

/**
 * `@org/auth/testing`: test support for this package and the apps built on it, so none of them keeps its own copy.
 * A fake Medplum for unit tests, the real emulator seeded from the auth model for integration tests (its package,
 * `@org/medplum-emulator`, must be installed as a development dependency), sign-in helpers, Medplum's exact refusals,
 * and a counting fetch. Test code only: Biome's `noRestrictedImports` (biome.json) refuses it in non-test source.
 */

// The local dev model from @org/config's defaults: the same mapping the provisioning CLI uses (so @org/config is only
// loaded by the CLI and by test support, never by an app at runtime).
export { devAuthModelOptions } from '../provisioning/cli-env.ts';
export { type SeededEmulator, type SeededEmulatorOptions, startSeededEmulator } from './emulator.ts';
export {
  FakeMedplum,
  type FakeMedplumOptions,
  type FakeMember,
  type FakeResource,
  fakeMedplum,
  type RecordedRequest,
} from './fake-medplum.ts';
export { countingFetch, serveFetch } from './http-server.ts';
export { onBehalfOfRefused, outcomeOf } from './outcomes.ts';
export { runNodeScript } from './processes.ts';
export { type RestHookChannel, restHookHeaders } from './rest-hook.ts';
export { signInAsClient, signInWithPassword } from './sign-in.ts';
export { slowLink } from './slow-link.ts';
export { sourcesImporting } from './source-files.ts';

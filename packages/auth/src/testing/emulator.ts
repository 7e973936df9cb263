import { startEmulator } from '@org/medplum-emulator';
import { type AuthModelOptions, buildAuthModel, buildEmulatorSeed } from '../provisioning/model.ts';
import { TEST_CONFIG } from '../provisioning/testing/config.ts';

/** A started emulator seeded with the auth model (real HTTP on 127.0.0.1), for integration tests. */
export async function startSeededEmulator(options: AuthModelOptions = {}) {
  const modelOptions = { bcryptRounds: 4, ...options };
  const lines: string[] = [];
  const emulator = await startEmulator({
    port: 0,
    seed: buildEmulatorSeed(TEST_CONFIG, modelOptions),
    authRateLimit: 100_000,
    subscriptionRetryDelayMs: 5,
    log: (line) => lines.push(line),
  });
  return { emulator, config: TEST_CONFIG, model: buildAuthModel(TEST_CONFIG, modelOptions), lines };
}

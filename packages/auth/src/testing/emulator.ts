import type { Bundle } from '@medplum/fhirtypes';
import type { EmulatorOptions, RunningEmulator } from '@org/medplum-emulator';
import { buildEmulatorSeed } from '../provisioning/model/index.ts';
import { type AuthModelOptions, type AuthModelOverrides, withOverrides } from '../provisioning/model/options.ts';
import { DEV_OPTIONS } from '../provisioning/testing/config.ts';

/** How the emulator runs, beyond the auth model it is seeded from. */
export interface SeededEmulatorOptions {
  /** Change the model's seed before the emulator loads it (e.g. move a resource to another id). */
  changeSeed?: (seed: Bundle) => Bundle;
  /** Keep the emulator's data in this file (so it can be restarted with the same data). */
  dataFile?: string;
  /** Where the emulator's log lines go; by default nowhere. */
  log?: (line: string) => void;
}

export interface SeededEmulator {
  emulator: RunningEmulator;
  /** What the model was built from: the dev defaults with the overrides given. */
  options: AuthModelOptions;
  /** The confidential clients as seeded, secrets included. */
  clients: Record<'proxy' | 'device' | 'pipeline', { clientId: string; clientSecret: string }>;
  /** After `emulator.stop()`: start it again on the same port with the same seed (and data file, if any). */
  startAgain(): Promise<RunningEmulator>;
}

function seededClient(client: { clientId: string; clientSecret?: string }) {
  if (!client.clientSecret) throw new Error(`the seed needs a secret for ${client.clientId}`);
  return { clientId: client.clientId, clientSecret: client.clientSecret };
}

/**
 * The real emulator over real HTTP (127.0.0.1, a free port), seeded from the auth model built from the dev defaults
 * (the same seed `pnpm dev` loads, with a cheap bcrypt cost) and `overrides`. Stop it with `emulator.stop()`.
 */
export async function startSeededEmulator(
  overrides: AuthModelOverrides = {},
  options: SeededEmulatorOptions = {}
): Promise<SeededEmulator> {
  // Loaded here, not at the top: the emulator is a development dependency, and the rest of this entry works without it.
  const { startEmulator } = await import('@org/medplum-emulator');
  const modelOptions = withOverrides({ ...DEV_OPTIONS, bcryptRounds: 4 }, overrides);
  const built = buildEmulatorSeed(modelOptions);
  const seed = options.changeSeed ? options.changeSeed(built) : built;
  const emulatorOptions: EmulatorOptions = {
    seed,
    // Tests sign in far more often than people do; Medplum's 160 a minute per address would refuse them.
    authRateLimit: 100_000,
    subscriptionRetryDelayMs: 5,
    log: options.log ?? (() => {}),
    ...(options.dataFile ? { dataFile: options.dataFile } : {}),
  };
  const started: SeededEmulator = {
    emulator: await startEmulator({ port: 0, ...emulatorOptions }),
    options: modelOptions,
    clients: {
      proxy: seededClient(modelOptions.proxy),
      device: seededClient(modelOptions.device),
      pipeline: seededClient(modelOptions.pipeline),
    },
    async startAgain() {
      const port = Number(new URL(started.emulator.url).port);
      started.emulator = await startEmulator({ port, ...emulatorOptions });
      return started.emulator;
    },
  };
  return started;
}

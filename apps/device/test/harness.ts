import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';
import type { ServiceRequest } from '@medplum/fhirtypes';
import { authModelSchema, buildEmulatorSeed, SEED_IDS } from '@org/auth/provisioning';
import { composeSchemas, medplumSchema, parseConfig } from '@org/config';
import { type RunningEmulator, startEmulator } from '@org/medplum-emulator';
import { createApp } from '../src/app.ts';
import type { DeviceConfig } from '../src/config.ts';
import { createDevice, type Device, type DeviceOptions } from '../src/device.ts';
import { type ListeningServer, listen } from '../src/server.ts';
import { tempDir, testConfig } from './config.ts';

/**
 * A started emulator seeded with @org/auth's model, and the device listening on a real port that the seed's
 * Subscription endpoint and jwksUri name. Real HTTP both ways, nothing mocked.
 *
 * The device's port has to be in the seed before the emulator starts, and the device needs the emulator's URL, so the
 * listener is opened first with its handler bound later.
 */

/** The schemas of the configuration @org/auth's model is built from. */
export const modelSchema = composeSchemas(medplumSchema, authModelSchema);

export const ANALYZER = SEED_IDS.analyzerDevice;
export const OTHER_DEVICE = SEED_IDS.otherDevice;
export const PATIENT = SEED_IDS.patientMaria;
export const OTHER_PATIENT = SEED_IDS.patientJames;

export interface WorldOptions {
  authMethod?: DeviceConfig['DEVICE_AUTH_METHOD'];
  /** Keep the emulator's data here (restartable). */
  dataFile?: string;
  deviceDataDir?: string;
  device?: Partial<Omit<DeviceOptions, 'config'>>;
  log?: boolean;
}

export interface World {
  emulator: RunningEmulator;
  emulatorPort: number;
  seed: ReturnType<typeof buildEmulatorSeed>;
  config: DeviceConfig;
  device: Device;
  listener: ListeningServer;
  practitioner: MedplumClient;
  /** The device is down: its port answers 503 to everything (Medplum's deliveries fail and are retried). */
  stopDevice(): Promise<void>;
  /** Stop the device (like a process exit: the outbox stays on disk) and start a new one on the same data folder. */
  restartDevice(options?: Partial<Omit<DeviceOptions, 'config'>>): Promise<Device>;
  stopEmulator(): Promise<void>;
  /** Same port, same data file, same seed. */
  startEmulatorAgain(): Promise<void>;
  close(): Promise<void>;
}

const quiet = () => {};

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  let handler: (request: Request) => Response | Promise<Response> = () => new Response('starting', { status: 503 });
  const listener = await listen((request) => handler(request), 0);

  const env = {
    DEVICE_WEBHOOK_PORT: String(listener.port),
    DEVICE_AUTH_METHOD: options.authMethod ?? 'client-credentials',
    DEVICE_DATA_DIR: options.deviceDataDir ?? tempDir('device-data-'),
  };
  const model = parseConfig(modelSchema, env);
  // Tokens of one minute: short enough that nothing depends on a long-lived token, long enough for a test.
  const seed = buildEmulatorSeed(model, { bcryptRounds: 4 });
  const log = options.log ? (line: string) => process.stderr.write(`[emulator] ${line}\n`) : quiet;
  const emulatorOptions = {
    seed,
    subscriptionRetryDelayMs: 5,
    log,
    ...(options.dataFile ? { dataFile: options.dataFile } : {}),
  };
  let emulator = await startEmulator({ port: 0, ...emulatorOptions });
  const emulatorPort = Number(new URL(emulator.url).port);

  const config = testConfig({ ...env, MEDPLUM_BASE_URL: emulator.url });
  const deviceLog = options.log
    ? (area: string, message: string) => process.stderr.write(`[device] ${area} ${message}\n`)
    : quiet;
  const make = async (extra: Partial<Omit<DeviceOptions, 'config'>> = {}) => {
    const device = await createDevice({
      config,
      log: deviceLog,
      lingerMs: 0,
      backoff: { baseMs: 5, maxMs: 40 },
      ...options.device,
      ...extra,
    });
    handler = createApp(device).fetch;
    return device;
  };
  let device = await make();
  await device.start();

  const practitioner = await signInPractitioner(emulator.url, model);

  const world: World = {
    emulator,
    emulatorPort,
    seed,
    config,
    get device() {
      return device;
    },
    listener,
    practitioner,
    async stopDevice() {
      handler = () => new Response('device is down', { status: 503 });
      await device.stop(0);
    },
    async restartDevice(extra) {
      await device.stop(0);
      device = await make(extra);
      await device.start();
      return device;
    },
    stopEmulator: () => emulator.stop(),
    async startEmulatorAgain() {
      emulator = await startEmulator({ port: emulatorPort, ...emulatorOptions });
      world.emulator = emulator;
    },
    async close() {
      await device.stop(0);
      await listener.close();
      await emulator.stop();
    },
  };
  return world;
}

/** The seed's practitioner, signed in to the Medplum at `baseUrl` with email, password and PKCE (S256). */
export async function signInPractitioner(
  baseUrl: string,
  model: { NEXT_PUBLIC_MEDPLUM_CLIENT_ID: string; DEV_PRACTITIONER_EMAIL: string; DEV_PRACTITIONER_PASSWORD: string }
): Promise<MedplumClient> {
  // The SDK's own PKCE helper wants `window.crypto` and falls back to `plain` noisily in Node; do S256 here instead.
  const storage = new ClientStorage(new MemoryStorage());
  const verifier = randomBytes(48).toString('base64url');
  storage.setString('codeVerifier', verifier);
  const client = new MedplumClient({ baseUrl, clientId: model.NEXT_PUBLIC_MEDPLUM_CLIENT_ID, storage });
  const login = await client.startLogin({
    email: model.DEV_PRACTITIONER_EMAIL,
    password: model.DEV_PRACTITIONER_PASSWORD,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    codeChallengeMethod: 'S256',
  });
  if (!login.code) throw new Error('practitioner sign-in gave no code');
  await client.processCode(login.code);
  return client;
}

/** A clinician orders a lab test from the analyzer (what the web app does). */
export function orderLabTest(
  world: Pick<World, 'practitioner'>,
  options: { code?: string; patient?: string; device?: string } = {}
): Promise<ServiceRequest & { id: string }> {
  return world.practitioner.createResource<ServiceRequest>({
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    code: { coding: [{ system: 'http://loinc.org', code: options.code ?? '58410-2' }] },
    subject: { reference: `Patient/${options.patient ?? PATIENT}` },
    performer: [{ reference: `Device/${options.device ?? ANALYZER}` }],
  }) as Promise<ServiceRequest & { id: string }>;
}

/** Everything the device made for an order, as the clinician sees it. */
export async function resultsFor(world: Pick<World, 'practitioner'>, orderId: string) {
  const basedOn = `ServiceRequest/${orderId}`;
  const [reports, observations] = await Promise.all([
    world.practitioner.searchResources('DiagnosticReport', { 'based-on': basedOn }, { cache: 'no-cache' }),
    world.practitioner.searchResources('Observation', { 'based-on': basedOn }, { cache: 'no-cache' }),
  ]);
  return { reports, observations };
}

/** Webhooks delivered, then results uploaded. */
export async function settle(world: Pick<World, 'emulator' | 'device'>): Promise<void> {
  await world.emulator.idle();
  await world.device.uploader.whenEmpty();
}

export function dataFileIn(dir: string): string {
  return join(dir, 'emulator.json');
}

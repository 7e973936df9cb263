import { join } from 'node:path';
import type { MedplumClient } from '@medplum/core';
import type { ServiceRequest } from '@medplum/fhirtypes';
import { deviceEndpoints, SEED_IDS } from '@org/auth/provisioning';
import { type SeededEmulator, signInAsClient, signInWithPassword, startSeededEmulator } from '@org/auth/testing';
import type { RunningEmulator } from '@org/medplum-emulator';
import { createApp } from '../src/app.ts';
import type { DeviceConfig } from '../src/config.ts';
import { createDevice, type Device, type DeviceOptions } from '../src/device.ts';
import { type ListeningServer, listen } from '../src/server.ts';
import { publishCatalogTo } from './catalog.ts';
import { tempDir, testConfig } from './config.ts';

/**
 * The seeded emulator of `@org/auth/testing`, and the device listening on a real port that the seed's Subscription
 * endpoint and jwksUri name. Real HTTP both ways, nothing mocked.
 *
 * The device's port has to be in the seed before the emulator starts, and the device needs the emulator's URL, so the
 * listener is opened first with its handler bound later.
 */

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
  config: DeviceConfig;
  device: Device;
  listener: ListeningServer;
  practitioner: MedplumClient;
  /** The catalogue pipeline's client (publishes the lab catalogue). */
  pipeline: MedplumClient;
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

async function startEmulatorFor(listener: ListeningServer, options: WorldOptions): Promise<SeededEmulator> {
  const { webhookUrl, jwksUri } = deviceEndpoints(`http://localhost:${listener.port}/`);
  return startSeededEmulator(
    { device: { webhook: { url: webhookUrl }, jwksUri } },
    {
      log: options.log ? (line: string) => process.stderr.write(`[emulator] ${line}\n`) : quiet,
      ...(options.dataFile ? { dataFile: options.dataFile } : {}),
    }
  );
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  let handler: (request: Request) => Response | Promise<Response> = () => new Response('starting', { status: 503 });
  const listener = await listen((request) => handler(request), 0);
  const seeded = await startEmulatorFor(listener, options);
  const emulatorPort = Number(new URL(seeded.emulator.url).port);
  // The lab catalogue, published by the pipeline's own code and client before the device reads it (as `pnpm dev` does).
  const pipeline = await signInAsClient(seeded.emulator.url, seeded.clients.pipeline);
  await publishCatalogTo(pipeline);

  const config = testConfig({
    DEVICE_WEBHOOK_PORT: String(listener.port),
    DEVICE_AUTH_METHOD: options.authMethod ?? 'client-credentials',
    DEVICE_DATA_DIR: options.deviceDataDir ?? tempDir('device-data-'),
    MEDPLUM_BASE_URL: seeded.emulator.url,
  });
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

  const { web, devUser } = seeded.options;
  const practitioner = await signInWithPassword(seeded.emulator.url, { clientId: web.clientId, ...devUser });

  const world: World = {
    emulator: seeded.emulator,
    emulatorPort,
    config,
    get device() {
      return device;
    },
    listener,
    practitioner,
    pipeline,
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
    stopEmulator: () => seeded.emulator.stop(),
    async startEmulatorAgain() {
      world.emulator = await seeded.startAgain();
    },
    async close() {
      await device.stop(0);
      await listener.close();
      await seeded.emulator.stop();
    },
  };
  return world;
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

import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { MedplumClient } from '@medplum/core';
import type { DiagnosticReport, Observation, ServiceRequest } from '@medplum/fhirtypes';
import { DEV_ADMIN, projectAdminEntries, SEED_IDS } from '@org/auth/provisioning';
import { type SeededEmulator, signInAsClient, signInWithPassword, startSeededEmulator } from '@org/auth/testing';
import { publishCatalogTo } from './catalog.ts';

/**
 * Fleet devices as real processes: the seeded emulator with the dev admin (to enroll them), the published lab
 * catalogue, a clinician placing orders, and `device run` started with a given environment. Real HTTP throughout.
 */
export const cli = join(import.meta.dirname, '..', 'src', 'cli.ts');

export interface FleetWorld {
  seeded: SeededEmulator;
  admin: MedplumClient;
  practitioner: MedplumClient;
}

export async function startFleetWorld(): Promise<FleetWorld> {
  const seeded = await startSeededEmulator(
    {},
    {
      changeSeed: (seed) => ({
        ...seed,
        entry: [...(seed.entry ?? []), ...projectAdminEntries(SEED_IDS.project, DEV_ADMIN)],
      }),
    }
  );
  const admin = await signInAsClient(seeded.emulator.url, {
    clientId: DEV_ADMIN.clientId,
    clientSecret: DEV_ADMIN.secret,
  });
  await publishCatalogTo(await signInAsClient(seeded.emulator.url, seeded.clients.pipeline));
  const { web, devUser } = seeded.options;
  const practitioner = await signInWithPassword(seeded.emulator.url, { clientId: web.clientId, ...devUser });
  return { seeded, admin, practitioner };
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not within ${timeoutMs} ms`);
}

export interface DeviceProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** `device run` once its port answers; `env` is the child's whole environment (as for runNodeScript). */
export async function startDeviceProcess(env: NodeJS.ProcessEnv, port: number): Promise<DeviceProcess> {
  let output = '';
  const child = spawn(process.execPath, [cli, 'run'], {
    env: { ...env, DEVICE_WEBHOOK_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk) => (output += chunk));
  await eventually(async () => (await fetch(`http://localhost:${port}/healthz`)).ok, 30_000);
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      });
    },
  };
}

export function orderFor(
  practitioner: MedplumClient,
  deviceId: string,
  code = '58410-2'
): Promise<ServiceRequest & { id: string }> {
  return practitioner.createResource<ServiceRequest>({
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${SEED_IDS.patientMaria}` },
    performer: [{ reference: `Device/${deviceId}` }],
  }) as Promise<ServiceRequest & { id: string }>;
}

export async function resultsOf(practitioner: MedplumClient, orderId: string) {
  const basedOn = `ServiceRequest/${orderId}`;
  const reports = (await practitioner.searchResources(
    'DiagnosticReport',
    { 'based-on': basedOn },
    { cache: 'no-cache' }
  )) as DiagnosticReport[];
  const observations = (await practitioner.searchResources(
    'Observation',
    { 'based-on': basedOn },
    { cache: 'no-cache' }
  )) as Observation[];
  return { reports, observations };
}

export async function allReported(practitioner: MedplumClient, orders: { id: string }[]): Promise<void> {
  await eventually(async () => {
    for (const o of orders) if ((await resultsOf(practitioner, o.id)).reports.length === 0) return false;
    return true;
  }, 60_000);
}

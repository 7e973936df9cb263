/**
 * Integration harness: the real `@org/medplum-emulator` over real HTTP, seeded from the auth model
 * (`@org/auth/testing`, the same seed `pnpm dev` uses), plus lab results posted by the device's own ClientApplication
 * so their attribution is real. The proxy runs in process (`app.request`), its service client talking HTTP to the
 * emulator.
 */
import type { Bundle, DiagnosticReport, Observation } from '@medplum/fhirtypes';
import { deviceResultSystem, SEED_IDS } from '@org/auth/provisioning';
import { clientCredentials, createServiceClient } from '@org/auth/server';
import { countingFetch, devAuthModelOptions, startSeededEmulator } from '@org/auth/testing';
import type { RunningEmulator } from '@org/medplum-emulator';
import { createApp } from '../../src/app.ts';
import type { ProxySettings } from '../../src/config.ts';
import { captureLogs, FAST_SETTINGS, PASSWORD, testConfig } from '../helpers.ts';

export const MARIA = SEED_IDS.patientMaria;

/** The dev defaults the seed is built from (the same the apps read when nothing is set). */
export const devModel = devAuthModelOptions();

/** The seeded emulator (its seed changed by `changeSeed` first), with the device's lab results for Maria in it. */
export async function startEmulatorWithLabResults(
  changeSeed: (seed: Bundle) => Bundle = (seed) => seed
): Promise<RunningEmulator> {
  const { emulator, clients } = await startSeededEmulator({}, { changeSeed });
  await postLabResults(emulator.url, clients.device);
  return emulator;
}

/** What the device (apps/device) would post: one Observation and its DiagnosticReport for Maria. */
async function postLabResults(
  baseUrl: string,
  deviceClient: { clientId: string; clientSecret: string }
): Promise<void> {
  const device = createServiceClient({ baseUrl, credentials: clientCredentials(deviceClient) });
  const analyzer = { reference: `Device/${SEED_IDS.analyzerDevice}` };
  const observation = await device.createResource<Observation>({
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'Hemoglobin', coding: [{ system: 'http://loinc.org', code: '718-7', display: 'Hemoglobin' }] },
    subject: { reference: `Patient/${MARIA}` },
    device: analyzer,
    effectiveDateTime: '2026-11-29T08:00:00Z',
    valueQuantity: { value: 13.2, unit: 'g/dL' },
  });
  await device.createResource<DiagnosticReport>({
    resourceType: 'DiagnosticReport',
    status: 'final',
    identifier: [{ system: deviceResultSystem(SEED_IDS.analyzerDevice), value: 'run-1' }],
    code: { text: 'Complete blood count' },
    subject: { reference: `Patient/${MARIA}` },
    issued: '2026-11-29T08:05:00Z',
    result: [{ reference: `Observation/${observation.id}` }],
    conclusion: 'Within normal limits',
  });
}

/** The proxy's own ClientApplication as a bare service client (no on-behalf-of): what the proxy can do by itself. */
export function proxyIdentity(emulator: RunningEmulator) {
  const config = testConfig({ MEDPLUM_BASE_URL: emulator.url });
  return createServiceClient({
    baseUrl: emulator.url,
    credentials: clientCredentials({
      clientId: config.PROXY_MEDPLUM_CLIENT_ID,
      clientSecret: config.PROXY_MEDPLUM_CLIENT_SECRET,
    }),
  });
}

export function proxyAgainst(emulator: RunningEmulator, settings: Partial<ProxySettings> = {}) {
  const config = testConfig({ MEDPLUM_BASE_URL: emulator.url, LEGACY_DEV_PASSWORD: PASSWORD });
  const counter = countingFetch();
  const logs = captureLogs();
  const app = createApp(config, {
    fetch: counter.fetch,
    logger: logs.logger,
    settings: { ...FAST_SETTINGS, ...settings },
  });
  return { app, config, counter, logs };
}

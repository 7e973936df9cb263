/**
 * Integration harness: the real `@org/medplum-emulator` over real HTTP, seeded from `@org/auth/provisioning` (the
 * same seed `pnpm dev` uses), plus lab results posted by the device's own ClientApplication so their attribution is
 * real. The proxy runs in process (`app.request`), its service client talking HTTP to the emulator.
 */
import type { Bundle, DiagnosticReport, Observation } from '@medplum/fhirtypes';
import { authModelSchema, buildEmulatorSeed, deviceResultSystem, SEED_IDS } from '@org/auth/provisioning';
import { clientCredentials, createServiceClient } from '@org/auth/server';
import { parseConfig } from '@org/config';
import { type RunningEmulator, startEmulator } from '@org/medplum-emulator';
import { createApp } from '../../src/app.ts';
import type { ProxySettings } from '../../src/config.ts';
import { captureLogs, FAST_SETTINGS, PASSWORD, testConfig } from '../helpers.ts';

export const MARIA = SEED_IDS.patientMaria;

export const modelConfig = parseConfig(authModelSchema, {});

export async function startSeededEmulator(
  changeSeed: (seed: Bundle) => Bundle = (seed) => seed
): Promise<RunningEmulator> {
  const seed = changeSeed(buildEmulatorSeed(modelConfig, { bcryptRounds: 4 }));
  const emulator = await startEmulator({ port: 0, seed, log: () => {} });
  await postLabResults(emulator.url);
  return emulator;
}

/** What the device (apps/device) would post: one Observation and its DiagnosticReport for Maria. */
async function postLabResults(baseUrl: string): Promise<void> {
  const device = createServiceClient({
    baseUrl,
    credentials: clientCredentials({
      clientId: modelConfig.DEVICE_MEDPLUM_CLIENT_ID,
      clientSecret: modelConfig.DEVICE_MEDPLUM_CLIENT_SECRET,
    }),
  });
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

/** Counts requests at the HTTP layer, by path. */
export function countingFetch() {
  const paths: string[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    paths.push(new URL(url).pathname);
    return globalThis.fetch(input, init);
  };
  return {
    fetch,
    tokenRequests: () => paths.filter((path) => path.endsWith('/oauth2/token')).length,
    fhirRequests: () => paths.filter((path) => path.includes('/fhir/R4/')).length,
    all: () => paths.length,
  };
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

import { fakeMedplum } from '@org/auth/testing';
import type { Context } from 'hono';
import { createApp } from '../src/app.ts';
import type { ProxySettings } from '../src/config.ts';
import type { UserSeed } from '../src/users/store.ts';
import { captureLogs, FAST_SETTINGS, TEST_USERS, testConfig } from './helpers.ts';

export const PATIENT = {
  resourceType: 'Patient',
  id: 'pat-1',
  name: [{ given: ['Maria'], family: 'Garcia' }],
  birthDate: '1984-03-12',
  gender: 'female',
  meta: { author: { reference: 'Practitioner/admin' } },
};
export const OBSERVATION = {
  resourceType: 'Observation',
  id: 'obs-1',
  status: 'final',
  subject: { reference: 'Patient/pat-1' },
  code: { text: 'Hemoglobin' },
  valueQuantity: { value: 13.2, unit: 'g/dL' },
  meta: { author: { reference: 'ClientApplication/device-client', display: 'Lab analyzer' } },
};

/** Response headers Medplum might send that the proxy must never pass on to the browser. */
export const MEDPLUM_ONLY_HEADERS = {
  'www-authenticate': 'Bearer realm="medplum"',
  'set-cookie': 'medplum-session=secret; Path=/',
  ratelimit: '"requests";r=599;t=60',
  'x-medplum-internal': 'yes',
} as const;

export interface UnitAppOptions {
  env?: Record<string, string>;
  users?: UserSeed[];
  /** Replaces the fake's fetch (e.g. a Medplum that cannot be reached). */
  fetch?: typeof fetch;
  settings?: Partial<ProxySettings>;
  now?: () => number;
  /** How the fake Medplum refuses an on-behalf-of target it does not know (see fakeMedplum). */
  onBehalfOfRefusal?: 'current' | 'legacy';
  /** The proxy client's secret as Medplum knows it (default: the dev secret). */
  medplumClientSecret?: string;
  /** Client address per request; default: the `X-Test-Address` header (in-process requests have no socket). */
  clientAddress?: (c: Context) => string;
}

/** The real app with a fake Medplum behind its real service client (HTTP-level double). */
export function unitApp(options: UnitAppOptions = {}) {
  const config = testConfig({ MEDPLUM_BASE_URL: 'http://localhost:8999/', ...options.env });
  const medplum = fakeMedplum({
    baseUrl: config.MEDPLUM_BASE_URL,
    clientId: config.PROXY_MEDPLUM_CLIENT_ID,
    // What Medplum knows; a test that configures another secret gets refused like a misconfigured proxy.
    clientSecret: options.medplumClientSecret ?? 'dev-only-proxy-client-secret-not-for-production',
    members: {
      'ProjectMembership/m-clin': {
        profile: 'Practitioner/p-clin',
        types: ['Patient', 'Observation', 'DiagnosticReport', 'Communication'],
      },
      'ProjectMembership/m-recep': { profile: 'Practitioner/p-recep', types: ['Patient'] },
    },
    resources: [PATIENT, OBSERVATION],
    responseHeaders: MEDPLUM_ONLY_HEADERS,
    ...(options.onBehalfOfRefusal ? { onBehalfOfRefusal: options.onBehalfOfRefusal } : {}),
  });
  const logs = captureLogs();
  const app = createApp(config, {
    fetch: options.fetch ?? medplum.fetch,
    users: options.users ?? TEST_USERS,
    logger: logs.logger,
    settings: { ...FAST_SETTINGS, ...options.settings },
    ...(options.now ? { now: options.now } : {}),
    clientAddress: options.clientAddress ?? ((c) => c.req.header('x-test-address') ?? '192.0.2.1'),
  });
  return { app, medplum, logs, config };
}

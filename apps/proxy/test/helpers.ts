import { parseConfig } from '@org/config';
import type { Hono } from 'hono';
import type { AppEnv } from '../src/app.ts';
import { type ProxyConfig, proxyConfigSchema } from '../src/config.ts';
import type { LogEntry } from '../src/log.ts';
import type { UserSeed } from '../src/users/store.ts';

export const ORIGIN = 'http://localhost:3001';
export const PASSWORD = 'correct horse battery staple';

/**
 * A proxy on a public https URL. Off this machine the public dev secrets are refused (@org/config), so it carries its
 * own; the unit-test Medplum must be told the client secret (`unitApp({ medplumClientSecret })`).
 */
export const PUBLIC_SITE_ENV = {
  PROXY_PUBLIC_URL: 'https://clinic.example/',
  PROXY_SESSION_SECRET: 'a-session-key-from-the-vault-0123456789abcdef',
  PROXY_MEDPLUM_CLIENT_SECRET: 'a-client-secret-from-the-vault',
} as const;

export function testConfig(env: Record<string, string> = {}): ProxyConfig {
  return parseConfig(proxyConfigSchema, { LEGACY_DEV_PASSWORD: PASSWORD, ...env });
}

/** Two legacy users mapped to two memberships of a fake project. */
export const TEST_USERS: UserSeed[] = [
  {
    username: 'clinician',
    password: PASSWORD,
    displayName: 'Dr. Test',
    role: 'Clinician',
    medplum: { membership: 'ProjectMembership/m-clin', profile: 'Practitioner/p-clin', profileDisplay: 'Dr. Test' },
  },
  {
    username: 'reception',
    password: PASSWORD,
    displayName: 'Desk',
    role: 'Reception',
    medplum: { membership: 'ProjectMembership/m-recep', profile: 'Practitioner/p-recep', profileDisplay: 'Desk' },
  },
];

/** Cheap password hashing for tests. */
export const FAST_SETTINGS = { passwordCost: 1024 } as const;

export function captureLogs() {
  const entries: LogEntry[] = [];
  return { entries, logger: (entry: LogEntry) => entries.push(entry) };
}

export function apiHeaders(cookie?: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'X-CSRF': '1', Origin: ORIGIN, ...(cookie ? { Cookie: cookie } : {}), ...extra };
}

/** Signs in through the API and returns the `name=value` pair of the session cookie. */
export async function signIn(app: Hono<AppEnv>, username = 'clinician', password = PASSWORD): Promise<string> {
  const response = await app.request('/api/session', {
    method: 'POST',
    headers: apiHeaders(undefined, { 'Content-Type': 'application/json' }),
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) throw new Error(`sign-in failed: ${response.status}`);
  const setCookie = response.headers.get('set-cookie') ?? '';
  return setCookie.split(';')[0] ?? '';
}

export function noteBody(patientId: string, text: string) {
  return JSON.stringify({
    resourceType: 'Communication',
    subject: { reference: `Patient/${patientId}` },
    payload: [{ contentString: text }],
  });
}

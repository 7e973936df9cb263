import type { Bundle } from '@medplum/fhirtypes';
import { contractSuiteSchema, loadConfig } from '@org/config';
import type { EmulatorOptions, RunningEmulator } from '../../src/index.ts';
import { startEmulator } from '../../src/index.ts';
import { adminClient, buildSeed } from '../fixtures/seed.ts';

/**
 * Where the contract and conformance suites run. By default against a fresh emulator seeded with
 * test/fixtures/seed.ts; with MEDPLUM_CONTRACT_BASE_URL (plus MEDPLUM_CONTRACT_CLIENT_ID / MEDPLUM_CONTRACT_CLIENT_SECRET
 * of a confidential ClientApplication with a project membership) against a real Medplum, where the tests that need
 * seeded users, clients and policies are skipped with the reason below. The settings are checked once, before any
 * test runs, by test/contract/global-setup.ts.
 */
const settings = loadConfig(contractSuiteSchema);

export const REAL_MEDPLUM_URL = settings.MEDPLUM_CONTRACT_BASE_URL;
export const againstRealMedplum = REAL_MEDPLUM_URL !== undefined;

/** Why a test is skipped against a real Medplum. */
export const NEEDS_SEED =
  'needs the users, clients and policies of test/fixtures/seed.ts, which a real Medplum does not have';
export const EMULATOR_ONLY = 'tests an emulator option or restart, which a real Medplum does not expose';

let announced = false;

export interface ContractTarget {
  baseUrl: string;
  /** A confidential client with a project membership: the fixture's admin client, or MEDPLUM_CONTRACT_CLIENT_*. */
  client: { id: string; secret: string };
  emulator?: RunningEmulator;
  stop(): Promise<void>;
}

export async function startTarget(
  options: { seed?: Bundle } & Omit<EmulatorOptions, 'seed' | 'port'> = {}
): Promise<ContractTarget> {
  if (REAL_MEDPLUM_URL) {
    // Both are present: the schema requires them with the URL.
    const client = {
      id: settings.MEDPLUM_CONTRACT_CLIENT_ID ?? '',
      secret: settings.MEDPLUM_CONTRACT_CLIENT_SECRET ?? '',
    };
    return { baseUrl: REAL_MEDPLUM_URL, client, stop: async () => {} };
  }
  if (!announced) {
    announced = true;
    console.info('MEDPLUM_CONTRACT_BASE_URL is unset: running the contract suite against the emulator only.');
  }
  const emulator = await startEmulator({
    port: 0,
    seed: options.seed ?? buildSeed(),
    // The suite signs in far more often than one user would; the limit itself is tested separately.
    authRateLimit: 100_000,
    log: () => {},
    ...options,
  });
  return {
    baseUrl: emulator.url,
    client: { id: adminClient.id, secret: adminClient.secret },
    emulator,
    stop: () => emulator.stop(),
  };
}

export function form(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

export function decodePayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Waits (without a time budget) until the JWT's `exp` has passed, so the token is really expired. */
export async function waitUntilExpired(jwt: string): Promise<void> {
  const exp = decodePayload(jwt).exp as number;
  while (Date.now() <= exp * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function clientCredentialsToken(target: ContractTarget, scope?: string): Promise<Record<string, unknown>> {
  const response = await fetch(
    `${target.baseUrl}oauth2/token`,
    form({
      grant_type: 'client_credentials',
      client_id: target.client.id,
      client_secret: target.client.secret,
      ...(scope ? { scope } : {}),
    })
  );
  if (response.status !== 200)
    throw new Error(`client credentials failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

import type { Bundle } from '@medplum/fhirtypes';
import { contractSuiteSchema, loadConfig } from '@org/config';
import type { EmulatorOptions, RunningEmulator } from '../../src/index.ts';
import { startEmulator } from '../../src/index.ts';
import {
  adminClient,
  adoptProvisionedValues,
  buildSeed,
  restoreSeedValues,
  seedCredentials,
} from '../fixtures/seed.ts';
import { type Provisioned, provisionSeed } from './provision.ts';

/**
 * Where the contract and conformance suites run. By default against a fresh emulator seeded with
 * test/fixtures/seed.ts; with MEDPLUM_CONTRACT_BASE_URL (plus MEDPLUM_CONTRACT_CLIENT_ID / MEDPLUM_CONTRACT_CLIENT_SECRET
 * of a project-admin ClientApplication) against a real Medplum, where the same seed is provisioned through the
 * project's admin API (./provision.ts) and deleted again when the target stops. The cases that need what no project
 * admin can create are skipped with their reason (./seed-bound.ts). The settings are checked once, before any test
 * runs, by test/contract/global-setup.ts.
 */
const settings = loadConfig(contractSuiteSchema);

export const REAL_MEDPLUM_URL = settings.MEDPLUM_CONTRACT_BASE_URL;
export const againstRealMedplum = REAL_MEDPLUM_URL !== undefined;

let announced = false;

export interface ContractTarget {
  baseUrl: string;
  /** A confidential client with a project membership: the fixture's admin client, or MEDPLUM_CONTRACT_CLIENT_*. */
  client: { id: string; secret: string };
  emulator?: RunningEmulator;
  /** Against a real Medplum: what was provisioned for this target (seed value → value on the server). */
  provisioned?: Provisioned;
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
    return provisionedTarget({ baseUrl: REAL_MEDPLUM_URL, client }, options.seed ?? buildSeed());
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

/** The seed provisioned on a real Medplum; the fixture's constants name what was created until the target stops. */
async function provisionedTarget(target: Omit<ContractTarget, 'stop'>, seed: Bundle): Promise<ContractTarget> {
  const token = await clientCredentialsToken({ ...target, stop: async () => {} });
  const session = { baseUrl: target.baseUrl, accessToken: token.access_token as string };
  const provisioned = await provisionSeed(session, seed, seedCredentials());
  adoptProvisionedValues(provisioned.mapping);
  if (provisioned.unprovisioned.length > 0) {
    console.info(`Run ${provisioned.tag} could not provision: ${provisioned.unprovisioned.join('; ')}`);
  }
  return {
    ...target,
    provisioned,
    async stop() {
      restoreSeedValues(provisioned.mapping);
      const left = await provisioned.cleanup();
      if (left.length > 0) {
        console.info(`Run ${provisioned.tag} left what a project admin cannot delete: ${left.join(', ')}.`);
      }
    },
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

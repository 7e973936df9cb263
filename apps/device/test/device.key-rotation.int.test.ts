import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MedplumClient } from '@medplum/core';
import type { ClientApplication } from '@medplum/fhirtypes';
import { DEVICE_KEY_FILE, loadOrCreateDeviceKey, signClientAssertion } from '@org/auth/device';
import { type DeviceCredentials, deviceEndpoints, enrollDevice } from '@org/auth/provisioning';
import { runNodeScript, type SeededEmulator } from '@org/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../src/device.ts';
import { tempDir } from './config.ts';
import {
  allReported,
  cli,
  type DeviceProcess,
  eventually,
  freePort,
  orderFor,
  startDeviceProcess,
  startFleetWorld,
} from './fleet-processes.ts';

// End to end, real processes: a private_key_jwt analyzer (`device run`) keeps getting tokens and posting results
// through a key rotation run beside it (`device rotate-key`, then `--retire`), without a restart. The emulator
// verifies every assertion against the JWKS the device serves, fetched afresh each time as Medplum does.

let seeded: SeededEmulator;
let admin: MedplumClient;
let practitioner: MedplumClient;
let credentials: DeviceCredentials;
let device: DeviceProcess;
let port: number;
const dataDir = tempDir('device-key-rotation-');
const keyFile = join(dataDir, DEVICE_KEY_FILE);
const printed: string[] = [];

beforeAll(async () => {
  ({ seeded, admin, practitioner } = await startFleetWorld());
  port = await freePort();
  const { webhookUrl, jwksUri } = deviceEndpoints(`http://localhost:${port}/`);
  credentials = await enrollDevice(admin, {
    name: 'analyzer-jwt',
    auth: 'private-key-jwt',
    jwksUrl: jwksUri,
    webhookUrl,
  });
  // Tokens of a few seconds: each phase below starts with an expired token, so the device signs a new assertion.
  const client = (await admin.readResource('ClientApplication', credentials.clientId)) as ClientApplication;
  await admin.updateResource({ ...client, accessTokenLifetime: '3s' });
  device = await startDeviceProcess(
    {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      MEDPLUM_BASE_URL: seeded.emulator.url,
      DEVICE_AUTH_METHOD: 'private-key-jwt',
      DEVICE_MEDPLUM_CLIENT_ID: credentials.clientId,
      DEVICE_WEBHOOK_USERNAME: credentials.webhook?.username ?? '',
      DEVICE_WEBHOOK_PASSWORD: credentials.webhook?.password ?? '',
      DEVICE_WEBHOOK_SECRET: credentials.webhook?.secret ?? '',
      DEVICE_DATA_DIR: dataDir,
    },
    port
  );
});
afterAll(async () => {
  await device?.stop();
  await seeded?.emulator.stop();
});

async function servedJwks(): Promise<{ kid: string }[]> {
  const response = await fetch(`http://localhost:${port}/.well-known/jwks.json`);
  const text = await response.text();
  printed.push(text);
  const { keys } = JSON.parse(text) as { keys: Record<string, string>[] };
  for (const key of keys) expect(key).not.toHaveProperty('d');
  return keys as unknown as { kid: string }[];
}

async function status(): Promise<StatusSnapshot> {
  return (await (await fetch(`http://localhost:${port}/status.json`)).json()) as StatusSnapshot;
}

async function rotateKey(...args: string[]): Promise<string> {
  const { code, out } = await runNodeScript(cli, {
    args: ['rotate-key', '--data-dir', dataDir, ...args],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  });
  printed.push(out);
  expect(code).toBe(0);
  return out;
}

/**
 * Once the token the device holds (if any yet: on a busy machine it may not have signed in at all) has expired: an
 * order, its results, and the kid of the new token the device obtained for them.
 */
async function orderWithFreshToken(): Promise<string> {
  const held = (await status()).device.tokenExpiresAt;
  const heldUntil = held === undefined ? 0 : Date.parse(held);
  await eventually(async () => heldUntil < Date.now(), 20_000);
  const placed = await orderFor(practitioner, credentials.deviceId);
  await allReported(practitioner, [placed]);
  const now = (await status()).device;
  expect(Date.parse(now.tokenExpiresAt ?? '')).toBeGreaterThan(heldUntil);
  return /kid (\S+)\)/.exec(now.authDescription)?.[1] ?? '';
}

/** Signs in with a copy of a key file, as whoever stole it would (the SDK call the device itself makes). */
async function signInWith(stolen: { alg: 'ES256'; kid: string; privateJwk: object }): Promise<unknown> {
  const medplum = new MedplumClient({ baseUrl: seeded.emulator.url, fetch });
  const assertion = await signClientAssertion({
    clientId: credentials.clientId,
    tokenUrl: `${medplum.getBaseUrl()}oauth2/token`,
    privateKey: stolen.privateJwk,
    alg: stolen.alg,
    kid: stolen.kid,
  });
  return medplum.startJwtAssertionLogin(assertion);
}

describe('private_key_jwt key rotation on a running device', { timeout: 120_000 }, () => {
  it('tokens before, during and after; the JWKS shows 1, 2, then 1 key; the old key is refused after retire', async () => {
    const original = JSON.parse(await readFile(keyFile, 'utf8'));
    expect((await servedJwks()).map((k) => k.kid)).toEqual([original.kid]);
    expect(await orderWithFreshToken()).toBe(original.kid);

    const rotated = await rotateKey();
    const next = JSON.parse(await readFile(keyFile, 'utf8'));
    expect(rotated).toContain(`new signing key ${next.kid}`);
    expect(next.kid).not.toBe(original.kid);
    expect((await servedJwks()).map((k) => k.kid)).toEqual([next.kid, original.kid]);
    expect(await orderWithFreshToken()).toBe(next.kid);
    // Still published: a copy of the old key works until --retire (why retire follows soon after a rotation).
    await expect(signInWith(original)).resolves.toMatchObject({ resourceType: 'ClientApplication' });

    expect(await rotateKey('--retire')).toContain(`retired key ${original.kid}`);
    expect((await servedJwks()).map((k) => k.kid)).toEqual([next.kid]);
    await expect(signInWith(original)).rejects.toThrow('Invalid client assertion signature');
    expect(await orderWithFreshToken()).toBe(next.kid);

    // The device never restarted, and no private part was served or printed.
    expect(device.child.exitCode).toBeNull();
    const everything = [...printed, device.output()].join('\n');
    for (const secret of [original.privateJwk.d, next.privateJwk.d]) expect(everything).not.toContain(secret);
  });
});

describe('device rotate-key as its operator runs it', () => {
  const run = (dir: string, ...args: string[]) =>
    runNodeScript(cli, {
      args: ['rotate-key', '--data-dir', dir, ...args],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    });

  it('refuses with one line and exit 1: no key yet, nothing to retire, a rotation already under way', async () => {
    const dir = tempDir('rotate-key-cli-');
    const none = await run(dir);
    expect([none.code, none.out.trim().split('\n').length]).toEqual([1, 1]);
    expect(none.out).toContain(`rotate-key: no device key in ${dir}`);
    await loadOrCreateDeviceKey(dir);
    expect((await run(dir, '--retire')).out).toContain('no key rotation is under way');
    // Four operators at once: one rotation, three refusals, two keys published.
    const four = await Promise.all([run(dir), run(dir), run(dir), run(dir)]);
    expect(four.map((r) => r.code).sort()).toEqual([0, 1, 1, 1]);
    for (const refused of four.filter((r) => r.code === 1)) {
      expect(refused.out).toMatch(/^rotate-key: a key rotation is under way \(previous key \S+ still published\)/);
    }
    expect(JSON.parse(await readFile(join(dir, DEVICE_KEY_FILE), 'utf8'))).toHaveProperty('previous.kid');
  });
});

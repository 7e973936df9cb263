import type { MedplumClient } from '@medplum/core';
import type { ClientApplication, Device, ProjectMembership } from '@medplum/fhirtypes';
import type { startEmulator } from '@org/medplum-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_KEYS, SEED_IDS } from '../../ids.ts';
import { nameUuid } from '../ids.ts';
import { buildEmulatorSeed } from '../model/index.ts';
import { DEV_OPTIONS } from '../testing/config.ts';
import { projectAdminEntries, startEmulatorAsAdmin } from '../testing/project-admin.ts';
import { enrollDevice, FleetError, listDevices, revokeDevice, rotateDeviceSecret } from './fleet.ts';

// Integration: the fleet lifecycle as a project admin over real HTTP against the emulator seeded with the dev model.
const projectAdmin = {
  clientId: nameUuid('ClientApplication/fleet-test-admin'),
  membershipId: nameUuid('ProjectMembership/fleet-test-admin'),
  name: 'Fleet admin (test)',
  secret: 'fleet-test-admin-secret-0123456789',
};

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let admin: MedplumClient;

beforeAll(async () => {
  const seed = buildEmulatorSeed({ ...DEV_OPTIONS, bcryptRounds: 4 });
  seed.entry?.push(...projectAdminEntries(SEED_IDS.project, projectAdmin));
  ({ emulator, admin } = await startEmulatorAsAdmin(seed, projectAdmin));
});
afterAll(async () => {
  await emulator?.stop();
});

async function tokenFor(clientId: string, clientSecret: string): Promise<{ status: number; accessToken?: string }> {
  const response = await fetch(`${emulator.url}oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
  });
  const body = (await response.json()) as { access_token?: string };
  return { status: response.status, ...(body.access_token ? { accessToken: body.access_token } : {}) };
}

async function fhirStatus(accessToken: string, path: string): Promise<number> {
  const response = await fetch(`${emulator.url}fhir/R4/${path}`, {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  await response.body?.cancel();
  return response.status;
}

async function count(resourceType: 'Device' | 'ClientApplication' | 'ProjectMembership'): Promise<number> {
  return (await admin.searchResources(resourceType, '_count=1000')).length;
}

describe('device:enroll', () => {
  it('creates a Device, its client and a membership with the device policy parameterised by that Device', async () => {
    const credentials = await enrollDevice(admin, { name: 'analyzer-a', auth: 'client-credentials' });
    expect(credentials.clientSecret).toMatch(/^[0-9a-f]{64}$/);
    const membership = (await admin.searchOne('ProjectMembership', {
      user: `ClientApplication/${credentials.clientId}`,
    })) as ProjectMembership;
    expect(membership.accessPolicy).toBeUndefined();
    expect(membership.access).toEqual([
      {
        policy: { reference: `AccessPolicy/${SEED_IDS.devicePolicy}` },
        parameter: [
          { name: 'device', valueReference: { reference: `Device/${credentials.deviceId}`, display: 'analyzer-a' } },
        ],
      },
    ]);
    const { accessToken } = await tokenFor(credentials.clientId, credentials.clientSecret as string);
    // Its orders (ServiceRequest?performer=its Device) are readable; patients are not.
    expect(await fhirStatus(accessToken as string, `ServiceRequest?performer=Device/${credentials.deviceId}`)).toBe(
      200
    );
    expect(await fhirStatus(accessToken as string, `Patient/${SEED_IDS.patientMaria}`)).toBe(403);
  });

  it('is idempotent by name: a second run finds the same Device and client and creates nothing', async () => {
    const first = await enrollDevice(admin, { name: 'analyzer-b', auth: 'client-credentials' });
    const before = [await count('Device'), await count('ClientApplication'), await count('ProjectMembership')];
    const second = await enrollDevice(admin, { name: 'analyzer-b', auth: 'client-credentials' });
    expect(second).toEqual(first);
    expect([await count('Device'), await count('ClientApplication'), await count('ProjectMembership')]).toEqual(before);
  });

  it('a run that stopped after creating the client (no-access membership) is finished by the next run', async () => {
    const noAccess = { reference: `AccessPolicy/${SEED_IDS.noAccessPolicy}` };
    const half = (await admin.post(`admin/projects/${SEED_IDS.project}/client`, {
      name: 'Lab device analyzer-half',
      description:
        'Fleet device client of Device https://reference.org.example/fhir/device|analyzer-half (pnpm device:enroll)',
      accessPolicy: noAccess,
    })) as ClientApplication & { id: string };
    const credentials = await enrollDevice(admin, { name: 'analyzer-half', auth: 'client-credentials' });
    expect(credentials.clientId).toBe(half.id);
    expect((await tokenFor(half.id, credentials.clientSecret as string)).status).toBe(200);
    expect((await listDevices(admin)).find((d) => d.name === 'analyzer-half')?.status).toBe('active');
  });

  it('refuses a name that belongs to a provisioned Device, and creates nothing', async () => {
    const before = [await count('Device'), await count('ClientApplication')];
    await expect(enrollDevice(admin, { name: 'lab-analyzer-1', auth: 'client-credentials' })).rejects.toThrow(
      /not a fleet device/
    );
    expect([await count('Device'), await count('ClientApplication')]).toEqual(before);
  });

  it('private-key-jwt: registers the JWKS URL and writes no secret', async () => {
    const jwksUrl = 'http://localhost:9999/.well-known/jwks.json';
    const credentials = await enrollDevice(admin, { name: 'analyzer-jwt', auth: 'private-key-jwt', jwksUrl });
    expect(credentials).toEqual({ deviceId: credentials.deviceId, clientId: credentials.clientId, jwksUrl });
    expect(((await admin.readResource('ClientApplication', credentials.clientId)) as ClientApplication).jwksUri).toBe(
      jwksUrl
    );
    await expect(enrollDevice(admin, { name: 'analyzer-jwt2', auth: 'private-key-jwt' })).rejects.toThrow(/--jwks-url/);
  });
});

describe('device:enroll --webhook-url', () => {
  it('gives the analyzer its own lab-order Subscription (its Device only), stable across runs, off once revoked', async () => {
    const url = 'http://127.0.0.1:4999/webhooks/medplum';
    const first = await enrollDevice(admin, { name: 'analyzer-hook', auth: 'client-credentials', webhookUrl: url });
    expect(first.webhook).toMatchObject({ url, username: 'medplum-analyzer-hook' });
    expect(first.webhook?.secret).toMatch(/^[0-9a-f]{64}$/);
    const again = await enrollDevice(admin, { name: 'analyzer-hook', auth: 'client-credentials', webhookUrl: url });
    expect(again.webhook).toEqual(first.webhook);
    const mine = (await admin.searchResources('Subscription', { _count: '100' })).filter(
      (s) => s.channel?.endpoint === url
    );
    expect(mine).toHaveLength(1);
    expect(mine[0]?.criteria).toBe(`ServiceRequest?performer=Device/${first.deviceId}`);
    await revokeDevice(admin, first.clientId);
    expect(((await admin.readResource('Subscription', mine[0]?.id as string)) as { status?: string }).status).toBe(
      'off'
    );
  });
});

describe('device:rotate', () => {
  it('the old secret keeps working until --retire, then only the new one does', async () => {
    const enrolled = await enrollDevice(admin, { name: 'analyzer-rot', auth: 'client-credentials' });
    const oldSecret = enrolled.clientSecret as string;
    const rotated = await rotateDeviceSecret(admin, enrolled.clientId, { retire: false });
    expect(rotated).toMatchObject({ deviceId: enrolled.deviceId, clientId: enrolled.clientId });
    expect(rotated?.clientSecret).not.toBe(oldSecret);
    expect((await tokenFor(enrolled.clientId, oldSecret)).status).toBe(200);
    expect((await tokenFor(enrolled.clientId, rotated?.clientSecret as string)).status).toBe(200);
    expect((await listDevices(admin)).find((d) => d.name === 'analyzer-rot')?.status).toBe('active');
    expect((await listDevices(admin)).find((d) => d.name === 'analyzer-rot')?.rotating).toBe(true);
    // A second rotation before retiring would drop the secret devices still use: refused.
    await expect(rotateDeviceSecret(admin, enrolled.clientId, { retire: false })).rejects.toThrow(/--retire/);
    await rotateDeviceSecret(admin, enrolled.clientId, { retire: true });
    expect((await tokenFor(enrolled.clientId, oldSecret)).status).toBe(400);
    expect((await tokenFor(enrolled.clientId, rotated?.clientSecret as string)).status).toBe(200);
    await expect(rotateDeviceSecret(admin, enrolled.clientId, { retire: true })).rejects.toThrow(/no rotation/);
  });

  it('refuses a client that is not a fleet device (the proxy) and an unknown one', async () => {
    await expect(rotateDeviceSecret(admin, DEV_OPTIONS.proxy.clientId, { retire: false })).rejects.toThrow(
      /not a fleet device client/
    );
    await expect(rotateDeviceSecret(admin, nameUuid('nobody'), { retire: false })).rejects.toBeInstanceOf(FleetError);
  });
});

describe('device:revoke', () => {
  it('refuses the device at once, including the token it already holds; its name is not reused', async () => {
    const enrolled = await enrollDevice(admin, { name: 'analyzer-stolen', auth: 'client-credentials' });
    const { accessToken } = await tokenFor(enrolled.clientId, enrolled.clientSecret as string);
    const orders = `ServiceRequest?performer=Device/${enrolled.deviceId}`;
    expect(await fhirStatus(accessToken as string, orders)).toBe(200);
    await revokeDevice(admin, enrolled.clientId);
    expect(await fhirStatus(accessToken as string, orders)).toBe(401);
    expect((await tokenFor(enrolled.clientId, enrolled.clientSecret as string)).status).toBe(400);
    expect((await listDevices(admin)).find((d) => d.name === 'analyzer-stolen')?.status).toBe('revoked');
    await revokeDevice(admin, enrolled.clientId);
    await expect(enrollDevice(admin, { name: 'analyzer-stolen', auth: 'client-credentials' })).rejects.toThrow(
      /revoked/
    );
  });

  it('leaves every other device working, and refuses to revoke the proxy (nothing changed)', async () => {
    const other = await enrollDevice(admin, { name: 'analyzer-other', auth: 'client-credentials' });
    await expect(revokeDevice(admin, DEV_OPTIONS.proxy.clientId)).rejects.toThrow(/not a fleet device client/);
    expect((await tokenFor(DEV_OPTIONS.proxy.clientId, DEV_OPTIONS.proxy.clientSecret as string)).status).toBe(200);
    expect((await tokenFor(other.clientId, other.clientSecret as string)).status).toBe(200);
  });
});

describe('device:list', () => {
  it('lists fleet devices only, with client, auth method and status', async () => {
    const devices = await listDevices(admin);
    expect(devices.map((d) => d.name)).not.toContain('lab-analyzer-1');
    expect(devices.find((d) => d.name === 'analyzer-jwt')).toMatchObject({ auth: 'private-key-jwt', status: 'active' });
    expect(devices.find((d) => d.name === 'analyzer-a')).toMatchObject({
      auth: 'client-credentials',
      status: 'active',
    });
    const device = (await admin.readResource('Device', devices[0]?.deviceId as string)) as Device;
    expect(device.meta?.tag?.some((t) => t.code === 'fleet/device')).toBe(true);
    expect(MODEL_KEYS.devicePolicy).toBe('access-policy/device');
  });
});

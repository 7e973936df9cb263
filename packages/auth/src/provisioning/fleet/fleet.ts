import type { MedplumClient } from '@medplum/core';
import { normalizeErrorString } from '@medplum/core';
import type {
  AccessPolicy,
  ClientApplication,
  Device,
  Parameters,
  ProjectMembership,
  ResourceType,
} from '@medplum/fhirtypes';
import { MODEL_KEYS, SYSTEMS } from '../../ids.ts';
import { byIdentifier, byTag, tag } from '../model/entries.ts';
import { type DeviceWebhook, ensureDeviceSubscription, switchOffDeviceSubscription } from './subscription.ts';

/**
 * The device fleet: one Device, one ClientApplication and one ProjectMembership per analyzer, so a stolen analyzer is
 * one revoked client, not a fleet outage. Every call uses only what a project admin may do on a real Medplum:
 *   - enroll: FHIR for the Device, `POST admin/projects/:id/client` for the client and its membership (created with the
 *     no-access policy, so a half-finished enrolment grants nothing), then FHIR updates: the membership gets the device
 *     AccessPolicy parameterised with this Device;
 *   - rotate: `ClientApplication/:id/$rotate-secret` (packages/server/src/fhir/operations/rotatesecret.ts), twice:
 *     the first call keeps the old secret as `retiringSecret` (still accepted at the token endpoint), `retire` ends it;
 *   - revoke: the client `status: 'off'` (no new token) and the membership `active: false`, which makes Medplum refuse
 *     the tokens the device already holds at once (packages/server/src/oauth/token.test.ts "Token for client with
 *     inactive ProjectMembership": 200 on /auth/me, deactivate, then 401).
 */

export const FLEET_TAG_CODE = 'fleet/device';
const FLEET_TAG = tag(FLEET_TAG_CODE).tag;

export type DeviceAuthMethod = 'client-credentials' | 'private-key-jwt';

/** What an enrolled device needs to sign in: written to a 0600 file, never printed. */
export interface DeviceCredentials {
  deviceId: string;
  clientId: string;
  clientSecret?: string;
  jwksUrl?: string;
  /** With `--webhook-url`: where its own Subscription delivers its orders, and the credentials it checks. */
  webhook?: DeviceWebhook;
}

export interface EnrollRequest {
  name: string;
  auth: DeviceAuthMethod;
  /** private-key-jwt only: where the device publishes its public keys. */
  jwksUrl?: string;
  /** The device's webhook inbox: enrol also gives it its own lab-order Subscription. */
  webhookUrl?: string;
}

export interface FleetDevice {
  name: string;
  deviceId: string;
  clientId?: string;
  auth?: DeviceAuthMethod;
  status: 'active' | 'revoked' | 'incomplete';
  rotating: boolean;
}

/** A refusal the CLI prints as one line (exit 1); nothing has been changed when it is thrown before a write. */
export class FleetError extends Error {}

const NAME = /^[a-z0-9][a-z0-9-]{1,62}$/;

function clientName(name: string): string {
  return `Lab device ${name}`;
}

function clientDescription(name: string): string {
  return `Fleet device client of Device ${SYSTEMS.device}|${name} (pnpm device:enroll)`;
}

function hasFleetTag(resource: { meta?: { tag?: { system?: string; code?: string }[] } }): boolean {
  return Boolean(resource.meta?.tag?.some((t) => t.system === SYSTEMS.provisioning && t.code === FLEET_TAG_CODE));
}

function withFleetTag<T extends { meta?: Device['meta'] }>(resource: T): T {
  return hasFleetTag(resource)
    ? resource
    : { ...resource, meta: { ...resource.meta, tag: [...(resource.meta?.tag ?? []), ...FLEET_TAG] } };
}

async function searchAll<T>(admin: MedplumClient, query: string): Promise<T[]> {
  const [type, search] = query.split('?') as [ResourceType, string];
  return (await admin.searchResources(type, search)) as unknown as T[];
}

async function findOne<T>(admin: MedplumClient, query: string, what: string): Promise<T | undefined> {
  const found = await searchAll<T>(admin, query);
  if (found.length > 1)
    throw new FleetError(`${what} matches ${found.length} resources (${query}); resolve that by hand`);
  return found[0];
}

async function devicePolicy(admin: MedplumClient, key: string): Promise<AccessPolicy & { id: string }> {
  const policy = await findOne<AccessPolicy & { id: string }>(admin, byTag('AccessPolicy', key), key);
  if (!policy) {
    throw new FleetError(`the project has no ${key} AccessPolicy: run \`pnpm medplum:provision\` against it first`);
  }
  return policy;
}

export async function enrollDevice(admin: MedplumClient, request: EnrollRequest): Promise<DeviceCredentials> {
  if (!NAME.test(request.name)) {
    throw new FleetError(
      `--name must be 2-63 lowercase letters, digits or dashes, got ${JSON.stringify(request.name)}`
    );
  }
  if (request.auth === 'private-key-jwt' && !request.jwksUrl) {
    throw new FleetError('--auth private-key-jwt needs --jwks-url (where the device publishes its public keys)');
  }
  const policy = await devicePolicy(admin, MODEL_KEYS.devicePolicy);
  const noAccess = await devicePolicy(admin, MODEL_KEYS.noAccessPolicy);
  const device = await ensureDevice(admin, request.name);
  const client = await ensureClient(admin, request, noAccess);
  const membership = await membershipOf(admin, client.id);
  if (!membership)
    throw new FleetError(`ClientApplication/${client.id} has no ProjectMembership; resolve that by hand`);
  const { accessPolicy: _none, ...rest } = membership;
  const access: ProjectMembership['access'] = [
    {
      policy: { reference: `AccessPolicy/${policy.id}` },
      parameter: [{ name: 'device', valueReference: { reference: `Device/${device.id}`, display: request.name } }],
    },
  ];
  await admin.updateResource(withFleetTag({ ...rest, access }));
  const webhook = request.webhookUrl
    ? await ensureDeviceSubscription(admin, request.name, device.id, request.webhookUrl)
    : undefined;
  return {
    deviceId: device.id,
    clientId: client.id,
    ...(request.auth === 'client-credentials' && client.secret ? { clientSecret: client.secret } : {}),
    ...(request.jwksUrl ? { jwksUrl: request.jwksUrl } : {}),
    ...(webhook ? { webhook } : {}),
  };
}

async function ensureDevice(admin: MedplumClient, name: string): Promise<Device & { id: string }> {
  const existing = await findOne<Device & { id: string }>(
    admin,
    byIdentifier('Device', SYSTEMS.device, name),
    'Device'
  );
  if (existing && !hasFleetTag(existing)) {
    throw new FleetError(
      `Device ${name} exists and is not a fleet device (it belongs to the provisioned model); pick another name`
    );
  }
  if (existing?.status === 'inactive') {
    throw new FleetError(`device ${name} was revoked; a revoked identity is not reused: enroll it under a new name`);
  }
  if (existing) return existing;
  return admin.createResource<Device>({
    resourceType: 'Device',
    meta: { tag: FLEET_TAG },
    identifier: [{ system: SYSTEMS.device, value: name }],
    status: 'active',
    deviceName: [{ name, type: 'user-friendly-name' }],
  }) as Promise<Device & { id: string }>;
}

/** Found by its exact name; one made by an earlier run that stopped half-way is recognised by its description. */
async function ensureClient(
  admin: MedplumClient,
  request: EnrollRequest,
  noAccess: AccessPolicy & { id: string }
): Promise<ClientApplication & { id: string }> {
  const name = clientName(request.name);
  const candidates = await searchAll<ClientApplication & { id: string }>(
    admin,
    `ClientApplication?name=${encodeURIComponent(name)}`
  );
  let client = candidates.find((c) => c.name === name);
  if (client && !hasFleetTag(client) && client.description !== clientDescription(request.name)) {
    throw new FleetError(
      `a ClientApplication named "${name}" exists and is not a fleet device client; pick another name`
    );
  }
  if (!client) {
    const project = admin.getProject()?.id;
    client = (await admin.post(`admin/projects/${project}/client`, {
      name,
      description: clientDescription(request.name),
      accessPolicy: { reference: `AccessPolicy/${noAccess.id}` },
    })) as ClientApplication & { id: string };
  }
  const wanted = withFleetTag({
    ...client,
    status: client.status ?? 'active',
    ...(request.jwksUrl ? { jwksUri: request.jwksUrl } : {}),
  });
  if (client.status === 'off') {
    throw new FleetError(
      `device ${request.name} was revoked; a revoked identity is not reused: enroll it under a new name`
    );
  }
  return (await admin.updateResource(wanted)) as ClientApplication & { id: string };
}

async function membershipOf(
  admin: MedplumClient,
  clientId: string
): Promise<(ProjectMembership & { id: string }) | undefined> {
  return findOne(admin, `ProjectMembership?user=ClientApplication/${clientId}`, 'the client membership');
}

/** A fleet client by id; anything else (the proxy, the web client, a typo) is refused before any change. */
async function fleetClient(admin: MedplumClient, clientId: string): Promise<ClientApplication & { id: string }> {
  let client: ClientApplication & { id: string };
  try {
    client = (await admin.readResource('ClientApplication', clientId)) as ClientApplication & { id: string };
  } catch (error) {
    throw new FleetError(`no ClientApplication ${clientId} in the project (${normalizeErrorString(error)})`);
  }
  if (!hasFleetTag(client)) {
    throw new FleetError(`ClientApplication ${clientId} is not a fleet device client (enrolled with device:enroll)`);
  }
  return client;
}

function deviceIdOf(membership: ProjectMembership | undefined): string {
  const reference = membership?.access?.[0]?.parameter?.find((p) => p.name === 'device')?.valueReference?.reference;
  return reference?.split('/')[1] ?? '';
}

async function rotateOperation(admin: MedplumClient, clientId: string, name: string, value: string) {
  const parameters: Parameters = { resourceType: 'Parameters', parameter: [{ name, valueString: value }] };
  return (await admin.post(
    admin.fhirUrl('ClientApplication', clientId, '$rotate-secret'),
    parameters
  )) as ClientApplication;
}

/**
 * Step 1 (`retire: false`): a new secret; the old one keeps working (as `retiringSecret`) until step 2. Returns the
 * credentials with the new secret. Step 2 (`retire: true`): the old secret stops working; returns nothing to write.
 */
export async function rotateDeviceSecret(
  admin: MedplumClient,
  clientId: string,
  options: { retire: boolean }
): Promise<DeviceCredentials | undefined> {
  const client = await fleetClient(admin, clientId);
  if (client.status === 'off')
    throw new FleetError(`ClientApplication ${clientId} is revoked; there is nothing to rotate`);
  if (client.jwksUri) {
    // Its secret is never used (the device signs assertions), so rotating it would only look like a rotation.
    throw new FleetError(
      `ClientApplication ${clientId} uses private_key_jwt (keys at ${client.jwksUri}): it has no secret to rotate; ` +
        'rotate its key on the device itself with `pnpm device:rotate-key`, then `pnpm device:rotate-key --retire`'
    );
  }
  if (options.retire) {
    if (!client.retiringSecret)
      throw new FleetError(`ClientApplication ${clientId} has no retiring secret: no rotation is under way`);
    await rotateOperation(admin, clientId, 'retiringSecret', client.retiringSecret);
    return undefined;
  }
  if (client.retiringSecret) {
    throw new FleetError(
      `a rotation of ${clientId} is under way: once every device uses the new secret, run it with --retire`
    );
  }
  if (!client.secret) throw new FleetError(`ClientApplication ${clientId} has no secret to rotate`);
  const rotated = await rotateOperation(admin, clientId, 'secret', client.secret);
  return {
    deviceId: deviceIdOf(await membershipOf(admin, clientId)),
    clientId,
    ...(rotated.secret ? { clientSecret: rotated.secret } : {}),
    ...(client.jwksUri ? { jwksUrl: client.jwksUri } : {}),
  };
}

/** Refused at once, held tokens included; idempotent. The Device is marked inactive so its name is not reused. */
export async function revokeDevice(admin: MedplumClient, clientId: string): Promise<void> {
  const client = await fleetClient(admin, clientId);
  const membership = await membershipOf(admin, clientId);
  if (membership && membership.active !== false) await admin.updateResource({ ...membership, active: false });
  if (client.status !== 'off') await admin.updateResource({ ...client, status: 'off' });
  const deviceId = deviceIdOf(membership);
  if (deviceId) {
    const device = (await admin.readResource('Device', deviceId)) as Device & { id: string };
    if (device.status !== 'inactive') await admin.updateResource({ ...device, status: 'inactive' });
    const name = device.identifier?.find((i) => i.system === SYSTEMS.device)?.value;
    if (name) await switchOffDeviceSubscription(admin, name);
  }
}

export async function listDevices(admin: MedplumClient): Promise<FleetDevice[]> {
  const devices = await searchAll<Device & { id: string }>(admin, byTag('Device', FLEET_TAG_CODE));
  const clients = await searchAll<ClientApplication & { id: string }>(
    admin,
    byTag('ClientApplication', FLEET_TAG_CODE)
  );
  const memberships = await searchAll<ProjectMembership>(admin, byTag('ProjectMembership', FLEET_TAG_CODE));
  return devices.map((device) => {
    const membership = memberships.find((m) => deviceIdOf(m) === device.id);
    const clientId = membership?.user?.reference?.split('/')[1];
    const client = clients.find((c) => c.id === clientId);
    const revoked = device.status === 'inactive' || client?.status === 'off' || membership?.active === false;
    return {
      name: device.identifier?.find((i) => i.system === SYSTEMS.device)?.value ?? device.id,
      deviceId: device.id,
      ...(clientId ? { clientId } : {}),
      ...(client ? { auth: client.jwksUri ? ('private-key-jwt' as const) : ('client-credentials' as const) } : {}),
      status: revoked ? 'revoked' : client && membership ? 'active' : 'incomplete',
      rotating: Boolean(client?.retiringSecret),
    };
  });
}

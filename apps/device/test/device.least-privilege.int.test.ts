import { getStatus, normalizeOperationOutcome } from '@medplum/core';
import type { Observation, Resource } from '@medplum/fhirtypes';
import { deviceResultSystem } from '@org/auth/provisioning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANALYZER,
  OTHER_DEVICE,
  OTHER_PATIENT,
  orderLabTest,
  PATIENT,
  settle,
  startWorld,
  type World,
} from './harness.ts';

/**
 * With the device's own credentials (its long-lived client from @org/auth/device), everything outside its
 * AccessPolicy is refused: patients, any write of a type it was not granted, and orders addressed to another device.
 */
let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});

async function statusOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (error) {
    return getStatus(normalizeOperationOutcome((error as { outcome?: unknown }).outcome ?? error));
  }
}

const ownObservation = (device: string = ANALYZER): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'probe' },
  subject: { reference: `Patient/${PATIENT}` },
  device: { reference: `Device/${device}` },
  identifier: [{ system: deviceResultSystem(device), value: `probe-${device}` }],
});

describe('the device identity (least privilege)', () => {
  it('cannot read patients, not even the one in its orders', async () => {
    const client = world.device.client;
    expect(await statusOf(() => client.readResource('Patient', OTHER_PATIENT))).toBe(403);
    expect(await statusOf(() => client.readResource('Patient', PATIENT))).toBe(403);
    expect(await statusOf(() => client.search('Patient', {}))).toBe(403);
  });

  it.each<Resource>([
    { resourceType: 'Patient', name: [{ family: 'Intruder' }] },
    { resourceType: 'Practitioner', name: [{ family: 'Intruder' }] },
    {
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: `Patient/${PATIENT}` },
      performer: [{ reference: `Device/${ANALYZER}` }],
    },
    { resourceType: 'Device', status: 'active' },
    { resourceType: 'Communication', status: 'completed' },
    { resourceType: 'AccessPolicy', name: 'escalate', resource: [{ resourceType: '*' }] },
    {
      resourceType: 'Subscription',
      status: 'active',
      reason: 'x',
      criteria: 'Patient',
      channel: { type: 'rest-hook' },
    },
  ])('cannot create a $resourceType', async (resource) => {
    expect(await statusOf(() => world.device.client.createResource(resource))).toBe(403);
  });

  it('cannot write results as another device, nor change or delete its own', async () => {
    const client = world.device.client;
    expect(await statusOf(() => client.createResource(ownObservation(OTHER_DEVICE)))).toBe(403);
    const own = await client.createResource(ownObservation());
    expect(own.meta?.author?.reference).toBe(`ClientApplication/${world.config.DEVICE_MEDPLUM_CLIENT_ID}`);
    expect(await statusOf(() => client.updateResource({ ...own, status: 'cancelled' }))).toBe(403);
    expect(await statusOf(() => client.deleteResource('Observation', own.id))).toBe(403);
  });

  it("cannot read another device's orders (but can read its own)", async () => {
    const mine = await orderLabTest(world);
    const theirs = await orderLabTest(world, { device: OTHER_DEVICE });
    await settle(world);
    const client = world.device.client;
    expect((await client.readResource('ServiceRequest', mine.id)).id).toBe(mine.id);
    // Outside the policy's criteria Medplum answers as if the order did not exist: 404, not 403.
    expect(await statusOf(() => client.readResource('ServiceRequest', theirs.id))).toBe(404);
    const visible = await client.searchResources('ServiceRequest', { _count: '100' });
    expect(visible.map((r) => r.id)).toContain(mine.id);
    expect(visible.map((r) => r.id)).not.toContain(theirs.id);
    expect(await client.searchResources('ServiceRequest', { performer: `Device/${OTHER_DEVICE}` })).toHaveLength(0);
  });
});

import { forbidden, notFound } from '@medplum/core';
import type { Observation, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { deviceResultSystem } from '@org/auth/provisioning';
import { outcomeOf } from '@org/auth/testing';
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

/** What Medplum answered: `'allowed'`, or its OperationOutcome (compared whole with Medplum's exact ones). */
async function answerTo(call: () => Promise<unknown>): Promise<OperationOutcome | 'allowed' | string> {
  try {
    await call();
    return 'allowed';
  } catch (error) {
    return outcomeOf(error) ?? String(error);
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
    expect(await answerTo(() => client.readResource('Patient', OTHER_PATIENT))).toEqual(forbidden);
    expect(await answerTo(() => client.readResource('Patient', PATIENT))).toEqual(forbidden);
    expect(await answerTo(() => client.search('Patient', {}))).toEqual(forbidden);
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
    expect(await answerTo(() => world.device.client.createResource(resource))).toEqual(forbidden);
  });

  it('cannot write results as another device, nor change or delete its own', async () => {
    const client = world.device.client;
    expect(await answerTo(() => client.createResource(ownObservation(OTHER_DEVICE)))).toEqual(forbidden);
    const own = await client.createResource(ownObservation());
    expect(own.meta?.author?.reference).toBe(`ClientApplication/${world.config.DEVICE_MEDPLUM_CLIENT_ID}`);
    expect(await answerTo(() => client.updateResource({ ...own, status: 'cancelled' }))).toEqual(forbidden);
    expect(await answerTo(() => client.deleteResource('Observation', own.id))).toEqual(forbidden);
  });

  it("cannot read another device's orders (but can read its own)", async () => {
    const mine = await orderLabTest(world);
    const theirs = await orderLabTest(world, { device: OTHER_DEVICE });
    await settle(world);
    const client = world.device.client;
    expect((await client.readResource('ServiceRequest', mine.id)).id).toBe(mine.id);
    // Outside the policy's criteria Medplum answers as if the order did not exist: 404, not 403.
    expect(await answerTo(() => client.readResource('ServiceRequest', theirs.id))).toEqual(notFound);
    const visible = await client.searchResources('ServiceRequest', { _count: '100' });
    expect(visible.map((r) => r.id)).toContain(mine.id);
    expect(visible.map((r) => r.id)).not.toContain(theirs.id);
    expect(await client.searchResources('ServiceRequest', { performer: `Device/${OTHER_DEVICE}` })).toHaveLength(0);
  });
});

/**
 * Cross-pattern checks at the HTTP level, against the same running emulator: each identity gets exactly what its
 * AccessPolicy grants, whatever the other patterns are doing.
 */
import { MedplumClient } from '@medplum/core';
import { SEED_IDS } from '@org/auth/provisioning';
import { expect, test } from '@playwright/test';
import { config, medplumBaseUrl } from '../support/stack.ts';

async function deviceClient(): Promise<MedplumClient> {
  const client = new MedplumClient({ baseUrl: medplumBaseUrl, maxRetries: 0 });
  await client.startClientLogin(config.DEVICE_MEDPLUM_CLIENT_ID, config.DEVICE_MEDPLUM_CLIENT_SECRET);
  return client;
}

async function statusOf(request: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await request;
    return 'ok';
  } catch (error) {
    const outcome = (error as { outcome?: { id?: string } }).outcome;
    return outcome?.id === 'forbidden' ? 403 : outcome?.id === 'not-found' ? 404 : -1;
  }
}

test('the device cannot read patients, not even those in its orders', async () => {
  const device = await deviceClient();
  expect(await statusOf(device.readResource('Patient', SEED_IDS.patientJames))).toBe(403);
  expect(await statusOf(device.readResource('Patient', SEED_IDS.patientMaria))).toBe(403);
  expect(await statusOf(device.searchResources('Patient', {}))).toBe(403);
});

test('the device cannot write outside its policy', async () => {
  const device = await deviceClient();
  expect(await statusOf(device.createResource({ resourceType: 'Patient', name: [{ family: 'Intruder' }] }))).toBe(403);
  expect(
    await statusOf(
      device.createResource({
        resourceType: 'ServiceRequest',
        status: 'active',
        intent: 'order',
        subject: { reference: `Patient/${SEED_IDS.patientMaria}` },
      })
    )
  ).toBe(403);
});

test("the device never sees the other analyzer's orders", async () => {
  const device = await deviceClient();
  const orders = await device.searchResources('ServiceRequest', { performer: `Device/${SEED_IDS.otherDevice}` });
  expect(orders).toHaveLength(0);
});

/**
 * Cross-pattern checks at the HTTP level, against the same running emulator: each identity gets exactly what its
 * AccessPolicy grants, whatever the other patterns are doing.
 */
import { MedplumClient } from '@medplum/core';
import type { ServiceRequest } from '@medplum/fhirtypes';
import { SEED_IDS } from '@org/auth/provisioning';
import { clientCredentials, createServiceClient } from '@org/auth/server';
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
  // An order for the other analyzer, placed by the clinician through the proxy (no subscription matches it, so no
  // device acts on it). The clinician, who may read every order, sees it: it exists. The device must not.
  const proxy = createServiceClient({
    baseUrl: medplumBaseUrl,
    credentials: clientCredentials({
      clientId: config.PROXY_MEDPLUM_CLIENT_ID,
      clientSecret: config.PROXY_MEDPLUM_CLIENT_SECRET,
    }),
  });
  const clinician = proxy.onBehalfOf(`ProjectMembership/${SEED_IDS.practitionerMembership}`);
  const order = await clinician.createResource<ServiceRequest>({
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    subject: { reference: `Patient/${SEED_IDS.patientJames}` },
    performer: [{ reference: `Device/${SEED_IDS.otherDevice}` }],
    code: { text: 'Least-privilege probe' },
  });
  const forOtherAnalyzer = { performer: `Device/${SEED_IDS.otherDevice}` };
  expect((await clinician.searchResources('ServiceRequest', forOtherAnalyzer)).map((o) => o.id)).toContain(order.id);

  const device = await deviceClient();
  expect(await device.searchResources('ServiceRequest', forOtherAnalyzer)).toHaveLength(0);
  expect((await device.searchResources('ServiceRequest', {})).map((o) => o.id)).not.toContain(order.id);
  // A resource the policy's criteria exclude reads as if it did not exist (Medplum answers 404, not 403).
  expect(await statusOf(device.readResource('ServiceRequest', order.id))).toBe(404);
});

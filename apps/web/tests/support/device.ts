import { MedplumClient } from '@medplum/core';
import type { Bundle } from '@medplum/fhirtypes';
import { deviceResultSystem, SEED_IDS } from '@org/auth/provisioning';
import { deviceSchema, loadConfig } from '@org/config';

/**
 * Stands in for apps/device in these tests: the analyzer's own credentials (client credentials), posting the results
 * of one order the way the device does — Observations and a DiagnosticReport naming the order in `basedOn`.
 */
export async function postResultsAsDevice(orderId: string, patientId: string): Promise<void> {
  const config = loadConfig(deviceSchema);
  const medplum = new MedplumClient({ baseUrl: 'http://localhost:8103/', fetch });
  await medplum.startClientLogin(config.DEVICE_MEDPLUM_CLIENT_ID, config.DEVICE_MEDPLUM_CLIENT_SECRET);
  const device = { reference: `Device/${SEED_IDS.analyzerDevice}` };
  const subject = { reference: `Patient/${patientId}` };
  const basedOn = [{ reference: `ServiceRequest/${orderId}` }];
  const system = deviceResultSystem(SEED_IDS.analyzerDevice);
  const issued = new Date().toISOString();
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: 'urn:uuid:6d0b1d7e-1111-4c3a-9a55-000000000001',
        request: { method: 'POST', url: 'Observation' },
        resource: {
          resourceType: 'Observation',
          status: 'final',
          identifier: [{ system, value: `${orderId}-hgb` }],
          basedOn,
          subject,
          device,
          issued,
          code: {
            coding: [{ system: 'http://loinc.org', code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood' }],
          },
          valueQuantity: { value: 13.9, unit: 'g/dL', system: 'http://unitsofmeasure.org', code: 'g/dL' },
        },
      },
      {
        fullUrl: 'urn:uuid:6d0b1d7e-1111-4c3a-9a55-000000000002',
        request: { method: 'POST', url: 'DiagnosticReport' },
        resource: {
          resourceType: 'DiagnosticReport',
          status: 'final',
          identifier: [{ system, value: orderId }],
          basedOn,
          subject,
          issued,
          code: { coding: [{ system: 'http://loinc.org', code: '58410-2', display: 'CBC panel' }] },
          result: [{ reference: 'urn:uuid:6d0b1d7e-1111-4c3a-9a55-000000000001' }],
          conclusion: 'Within normal limits (simulated)',
        },
      },
    ],
  };
  await medplum.executeBatch(bundle);
}

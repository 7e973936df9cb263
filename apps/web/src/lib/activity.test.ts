import type { Patient, ServiceRequest } from '@medplum/fhirtypes';
import { MockClient } from '@medplum/mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { loadActivity } from './activity.ts';

describe('loadActivity (against @medplum/mock)', () => {
  let medplum: MockClient;
  let patient: Patient;

  beforeEach(async () => {
    medplum = new MockClient();
    patient = await medplum.createResource<Patient>({ resourceType: 'Patient', name: [{ family: 'Garcia' }] });
  });

  it('reads every version of every story resource in one batch request, newest first', async () => {
    const subject = { reference: `Patient/${patient.id}` };
    const order = await medplum.createResource<ServiceRequest>({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      subject,
    });
    await medplum.updateResource<ServiceRequest>({ ...order, status: 'completed' });
    // A second order, never changed (an Observation would do, but MockClient's search by subject does not find one).
    await medplum.createResource<ServiceRequest>({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      subject,
    });
    const batch = vi.spyOn(medplum, 'executeBatch');

    const items = await loadActivity(medplum, patient);

    expect(batch).toHaveBeenCalledTimes(1);
    const versions = items.flatMap((item) => (item.kind === 'version' ? [item] : []));
    expect(versions.map((item) => [item.resource.resourceType, item.version, item.versions])).toEqual(
      expect.arrayContaining([
        ['ServiceRequest', 2, 2],
        ['ServiceRequest', 1, 2],
        ['ServiceRequest', 1, 1],
      ])
    );
    expect(versions).toHaveLength(3);
    const times = items.map((item) => item.at);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('fails, as a single failed read did, when Medplum refuses one history in the batch', async () => {
    await medplum.createResource<ServiceRequest>({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: `Patient/${patient.id}` },
    });
    vi.spyOn(medplum, 'executeBatch').mockResolvedValue({
      resourceType: 'Bundle',
      type: 'batch-response',
      entry: [
        {
          response: { status: '403' },
          resource: {
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'forbidden', details: { text: 'Forbidden' } }],
          },
        },
      ],
    });
    await expect(loadActivity(medplum, patient)).rejects.toThrow('Forbidden');
  });
});

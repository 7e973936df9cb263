import { getReferenceString } from '@medplum/core';
import type { Device, DiagnosticReport, Observation, Patient } from '@medplum/fhirtypes';
import { MockClient } from '@medplum/mock';
import { LAB_CATALOG_VALUE_SET_URL } from '@org/auth/ids';
import { buildEmulatorSeed, SEED_IDS } from '@org/auth/provisioning';
import { devAuthModelOptions } from '@org/auth/testing';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ANALYZER_IDENTIFIER,
  buildLabOrder,
  findAnalyzer,
  type LabTest,
  loadLabTests,
  loadOrdersWithResults,
  orderLabTest,
} from './lab.ts';

const cbc: LabTest = { code: '58410-2', display: 'CBC panel - Blood by Automated count' };
const bmp: LabTest = { code: '51990-0', display: 'Basic metabolic panel - Blood' };

describe('the analyzer identifier', () => {
  it('is the one the auth model gives the analyzer Device (so the app finds it on any Medplum)', () => {
    const seed = buildEmulatorSeed(devAuthModelOptions({ bcryptRounds: 4 }));
    const device = seed.entry?.find((entry) => entry.resource?.id === SEED_IDS.analyzerDevice)?.resource as Device;
    expect(device.identifier).toEqual([ANALYZER_IDENTIFIER]);
  });
});

describe('lab orders (against @medplum/mock)', () => {
  let medplum: MockClient;
  let patient: Patient;
  let analyzer: Device;

  beforeEach(async () => {
    medplum = new MockClient();
    patient = await medplum.createResource<Patient>({
      resourceType: 'Patient',
      name: [{ given: ['Maria'], family: 'Garcia' }],
    });
    analyzer = await medplum.createResource<Device>({
      resourceType: 'Device',
      identifier: [ANALYZER_IDENTIFIER],
      deviceName: [{ name: 'Acme lab analyzer 1', type: 'user-friendly-name' }],
    });
  });

  it('looks the analyzer up by its identifier, never by a fixed id', async () => {
    // @medplum/mock does not index Device.identifier, so only the query is checked here; that a real server finds the
    // seeded analyzer by it is proven in the browser (tests/lab-order.spec.ts orders through findAnalyzer).
    const searchOne = vi.spyOn(medplum, 'searchOne');
    await findAnalyzer(medplum);
    expect(searchOne).toHaveBeenCalledWith('Device', {
      identifier: `${ANALYZER_IDENTIFIER.system}|${ANALYZER_IDENTIFIER.value}`,
    });
  });

  it('builds an order addressed to the analyzer, for the patient, by the signed-in practitioner', () => {
    const requester = medplum.getProfile();
    const order = buildLabOrder({
      patient,
      device: analyzer,
      test: cbc,
      requester,
      now: new Date('2026-01-02T03:04:05Z'),
    });
    expect(order).toMatchObject({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: getReferenceString(patient) },
      performer: [{ reference: getReferenceString(analyzer) }],
      requester: { reference: getReferenceString(requester as Patient) },
      code: { coding: [{ system: 'http://loinc.org', code: cbc.code }] },
      authoredOn: '2026-01-02T03:04:05.000Z',
    });
  });

  it('creates the orders and lists them', async () => {
    const first = await orderLabTest(medplum, patient, cbc, analyzer);
    const second = await orderLabTest(medplum, patient, bmp, analyzer);
    expect(first.performer?.[0]?.reference).toBe(getReferenceString(analyzer));
    const listed = await loadOrdersWithResults(medplum, patient);
    expect(listed.map((entry) => entry.order.id).sort()).toEqual([first.id, second.id].sort());
    expect(listed.every((entry) => entry.observations.length === 0 && entry.reports.length === 0)).toBe(true);
  });

  it('attaches each result to the order its basedOn names, reading past the cache', async () => {
    const a = await orderLabTest(medplum, patient, cbc, analyzer);
    const b = await orderLabTest(medplum, patient, cbc, analyzer);
    const observation = (order: typeof a, value: number): Observation => ({
      resourceType: 'Observation',
      id: `obs-${value}`,
      status: 'final',
      code: { text: 'Hemoglobin' },
      basedOn: [{ reference: getReferenceString(order) }],
      valueQuantity: { value, unit: 'g/dL' },
    });
    const report: DiagnosticReport = {
      resourceType: 'DiagnosticReport',
      id: 'report-b',
      status: 'final',
      code: { text: 'CBC' },
      basedOn: [{ reference: getReferenceString(b) }],
    };
    // @medplum/mock does not index `based-on`; answer those two searches here and check how they are asked.
    const search = medplum.searchResources.bind(medplum);
    const spy = vi.spyOn(medplum, 'searchResources').mockImplementation(((
      type: string,
      query: unknown,
      options: unknown
    ) => {
      if (type === 'Observation') return Promise.resolve([observation(a, 13.9), observation(b, 12.1)]);
      if (type === 'DiagnosticReport') return Promise.resolve([report]);
      return search(type as 'ServiceRequest', query as Record<string, string>, options as RequestInit);
    }) as typeof medplum.searchResources);

    const listed = await loadOrdersWithResults(medplum, patient);
    const byId = new Map(listed.map((entry) => [entry.order.id, entry]));
    expect(byId.get(a.id)?.observations.map((obs) => obs.valueQuantity?.value)).toEqual([13.9]);
    expect(byId.get(a.id)?.reports).toEqual([]);
    expect(byId.get(b.id)?.observations.map((obs) => obs.valueQuantity?.value)).toEqual([12.1]);
    expect(byId.get(b.id)?.reports.map((item) => item.id)).toEqual(['report-b']);
    const observationCall = spy.mock.calls.find(([type]) => type === 'Observation');
    expect(
      String((observationCall?.[1] as Record<string, string> | undefined)?.['based-on'])
        .split(',')
        .sort()
    ).toEqual([getReferenceString(a), getReferenceString(b)].sort());
    expect(observationCall?.[2]).toEqual({ cache: 'no-cache' });
  });

  it('says clearly when the project has no analyzer', async () => {
    const empty = new MockClient();
    vi.spyOn(empty, 'searchOne').mockResolvedValue(undefined);
    await expect(orderLabTest(empty, patient, cbc)).rejects.toThrow(/No analyzer Device found/);
  });
});

describe("the order form's tests come from the published catalogue", () => {
  it('are the LOINC concepts of the active orderable-tests ValueSet, in catalogue order', async () => {
    const medplum = new MockClient();
    const searchOne = vi.spyOn(medplum, 'searchOne').mockResolvedValue({
      resourceType: 'ValueSet',
      status: 'active',
      compose: {
        include: [
          { system: 'http://loinc.org', concept: [cbc, bmp] },
          { system: 'http://snomed.info/sct', concept: [{ code: '1', display: 'not a LOINC order' }] },
        ],
      },
    } as never);
    expect(await loadLabTests(medplum)).toEqual([cbc, bmp]);
    expect(searchOne).toHaveBeenCalledWith('ValueSet', { url: LAB_CATALOG_VALUE_SET_URL, status: 'active' });
  });

  it('are none while nothing is published (no list of its own to fall back on)', async () => {
    const medplum = new MockClient();
    vi.spyOn(medplum, 'searchOne').mockResolvedValue(undefined as never);
    expect(await loadLabTests(medplum)).toEqual([]);
  });
});

/**
 * Lab orders: a ServiceRequest addressed to the analyzer Device, and the results the device posts for it
 * (Observations and a DiagnosticReport whose `basedOn` names the order).
 */
import { createReference, getReferenceString, type MedplumClient, type ProfileResource } from '@medplum/core';
import type { Device, DiagnosticReport, Observation, Patient, Practitioner, ServiceRequest } from '@medplum/fhirtypes';
import { DEVICE_IDENTIFIERS, SYSTEMS } from '@org/auth/ids';

/**
 * How the app finds the analyzer: by the identifier the auth model gives it (`@org/auth/ids`, checked against the
 * model by lab.test.ts), never by a hard-coded id — on a real Medplum the server assigns ids.
 */
export const ANALYZER_IDENTIFIER = { system: SYSTEMS.device, value: DEVICE_IDENTIFIERS.analyzer };

export interface LabTest {
  code: string;
  display: string;
}

/** LOINC orders the simulated analyzer runs (each a panel it knows: `PANELS` in apps/device/src/analyzer.ts). */
export const LAB_TESTS: readonly LabTest[] = [
  { code: '58410-2', display: 'CBC panel - Blood by Automated count' },
  { code: '51990-0', display: 'Basic metabolic panel - Blood' },
  { code: '24331-1', display: 'Lipid 1996 panel - Serum or Plasma' },
  { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' },
];

export const LOINC = 'http://loinc.org';

export async function findAnalyzer(medplum: MedplumClient): Promise<Device | undefined> {
  return medplum.searchOne('Device', { identifier: `${ANALYZER_IDENTIFIER.system}|${ANALYZER_IDENTIFIER.value}` });
}

export function buildLabOrder(args: {
  patient: Patient;
  device: Device;
  test: LabTest;
  requester?: ProfileResource | undefined;
  now?: Date;
}): ServiceRequest {
  const { patient, device, test, requester } = args;
  return {
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    category: [{ coding: [{ system: 'http://snomed.info/sct', code: '108252007', display: 'Laboratory procedure' }] }],
    code: { coding: [{ system: LOINC, code: test.code, display: test.display }], text: test.display },
    subject: createReference(patient),
    performer: [createReference(device)],
    ...(requester ? { requester: createReference(requester as Practitioner) } : {}),
    authoredOn: (args.now ?? new Date()).toISOString(),
  };
}

export async function orderLabTest(
  medplum: MedplumClient,
  patient: Patient,
  test: LabTest,
  device?: Device
): Promise<ServiceRequest> {
  const analyzer = device ?? (await findAnalyzer(medplum));
  if (!analyzer) {
    throw new Error(
      `No analyzer Device found (identifier ${ANALYZER_IDENTIFIER.system}|${ANALYZER_IDENTIFIER.value}). Is the project provisioned?`
    );
  }
  return medplum.createResource(buildLabOrder({ patient, device: analyzer, test, requester: medplum.getProfile() }));
}

export interface OrderWithResults {
  order: ServiceRequest;
  reports: DiagnosticReport[];
  observations: Observation[];
}

/** Every order for the patient, newest first, each with the results that name it in `basedOn`; bypasses the cache. */
export async function loadOrdersWithResults(medplum: MedplumClient, patient: Patient): Promise<OrderWithResults[]> {
  const orders = await medplum.searchResources(
    'ServiceRequest',
    { subject: getReferenceString(patient), _sort: '-_lastUpdated', _count: '50' },
    { cache: 'no-cache' }
  );
  if (orders.length === 0) return [];
  const basedOn = orders.map((order) => getReferenceString(order)).join(',');
  const [reports, observations] = await Promise.all([
    medplum.searchResources('DiagnosticReport', { 'based-on': basedOn, _count: '200' }, { cache: 'no-cache' }),
    medplum.searchResources('Observation', { 'based-on': basedOn, _count: '1000' }, { cache: 'no-cache' }),
  ]);
  return orders.map((order) => {
    const ref = getReferenceString(order);
    const names = (resource: { basedOn?: { reference?: string }[] }) =>
      (resource.basedOn ?? []).some((item) => item.reference === ref);
    return { order, reports: reports.filter(names), observations: observations.filter(names) };
  });
}

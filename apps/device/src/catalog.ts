import type { ActivityDefinition, ObservationDefinition, ResourceType } from '@medplum/fhirtypes';
import { SYSTEMS } from '@org/auth/ids';

/**
 * What the analyzer can run, read from Medplum: the lab catalogue the catalogue pipeline publishes
 * (apps/catalog-pipeline). Each active ActivityDefinition of the catalogue is an orderable LOINC code; its
 * `observationResultRequirement` names the ObservationDefinitions of the analytes it measures, each with its unit,
 * decimal precision and reference range. The device keeps no list of its own.
 */

export const LOINC = 'http://loinc.org';

export interface Assay {
  code: string;
  display: string;
  unit: string;
  low: number;
  high: number;
  decimals: number;
}

/** LOINC order code -> what it measures. */
export type LabCatalog = ReadonlyMap<string, { display: string; assays: Assay[] }>;

export const EMPTY_CATALOG: LabCatalog = new Map();

function assayOf(definition: ObservationDefinition): Assay | undefined {
  const coding = definition.code?.coding?.find((c) => c.system === LOINC);
  const range = definition.qualifiedInterval?.find((i) => i.category === 'reference')?.range;
  const { low, high } = { low: range?.low?.value, high: range?.high?.value };
  if (!coding?.code || low === undefined || high === undefined) return undefined;
  return {
    code: coding.code,
    display: coding.display ?? definition.code?.text ?? coding.code,
    unit: range?.low?.unit ?? definition.quantitativeDetails?.unit?.text ?? '',
    low,
    high,
    decimals: definition.quantitativeDetails?.decimalPrecision ?? 0,
  };
}

/** The catalogue from its resources; tests whose analytes are not all known are left out (they cannot be run). */
export function catalogFrom(tests: ActivityDefinition[], analytes: ObservationDefinition[]): LabCatalog {
  const byReference = new Map(analytes.map((a) => [`ObservationDefinition/${a.id}`, assayOf(a)]));
  const catalog = new Map<string, { display: string; assays: Assay[] }>();
  for (const test of tests) {
    const coding = test.code?.coding?.find((c) => c.system === LOINC);
    const assays = (test.observationResultRequirement ?? []).map((ref) => byReference.get(ref.reference ?? ''));
    if (!coding?.code || assays.length === 0 || assays.some((a) => a === undefined)) continue;
    catalog.set(coding.code, { display: test.title ?? coding.display ?? coding.code, assays: assays as Assay[] });
  }
  return catalog;
}

interface CatalogReader {
  searchResources(resourceType: ResourceType, query: Record<string, string>): Promise<unknown[]>;
}

/** The published catalogue, read with the device's own credentials (its policy lets it read these types only). */
export async function loadCatalog(client: CatalogReader): Promise<LabCatalog> {
  const tests = (
    (await client.searchResources('ActivityDefinition', { status: 'active', _count: '1000' })) as ActivityDefinition[]
  ).filter((test) => test.url?.startsWith(`${SYSTEMS.labCatalog}/`));
  const ids = [
    ...new Set(tests.flatMap((t) => t.observationResultRequirement ?? []).map((r) => r.reference?.split('/')[1])),
  ].filter((id): id is string => Boolean(id));
  const analytes =
    ids.length === 0
      ? []
      : ((await client.searchResources('ObservationDefinition', {
          _id: ids.join(','),
          _count: '1000',
        })) as ObservationDefinition[]);
  return catalogFrom(tests, analytes);
}

/**
 * The lab test catalogue as FHIR definitional resources, built from catalog/lab-tests.json (the one place the
 * orderable tests are written down; a change to it is a pull request, and CI publishes it):
 *   - one ObservationDefinition per analyte: its LOINC code, UCUM unit, decimal precision and reference range;
 *   - one ActivityDefinition per orderable test (`kind: ServiceRequest`, its LOINC order code), whose
 *     `observationResultRequirement` names the analytes it produces: what the order form offers and what the analyzer
 *     runs;
 *   - one ValueSet of the orderable codes, for anything that only needs the list.
 * ActivityDefinition + ObservationDefinition rather than PlanDefinition (the HL7 Order Catalog IG's
 * LabServiceDefinition): a test here is one order producing a fixed set of analytes, exactly what
 * `observationResultRequirement` says, with no multi-step plan to describe.
 * Canonical resources are keyed by `url` + `version`; ObservationDefinition has neither `url` nor an `identifier`
 * search parameter in R4, so it is keyed by its LOINC code and a `meta.tag` that marks it as this catalogue's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActivityDefinition, ObservationDefinition, ValueSet } from '@medplum/fhirtypes';
import { LAB_CATALOG_VALUE_SET_URL, SYSTEMS } from '@org/auth/ids';

export const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

export interface CatalogSource {
  version: string;
  analytes: { code: string; display: string; unit: string; low: number; high: number; decimals: number }[];
  tests: { code: string; display: string; analytes: string[] }[];
}

export const CATALOG_FILE = join(import.meta.dirname, '../catalog/lab-tests.json');

export function readCatalogSource(file = CATALOG_FILE): CatalogSource {
  const source = JSON.parse(readFileSync(file, 'utf8')) as CatalogSource;
  const known = new Set(source.analytes.map((a) => a.code));
  for (const test of source.tests) {
    const missing = test.analytes.filter((code) => !known.has(code));
    if (missing.length > 0) throw new Error(`${file}: test ${test.code} names unknown analytes ${missing.join(', ')}`);
  }
  return source;
}

/** Identifier system of the analytes; the tag `<labCatalog>|analyte` is what finds them. */
export const ANALYTE_SYSTEM = `${SYSTEMS.labCatalog}/analyte`;
export const ANALYTE_TAG = { system: SYSTEMS.labCatalog, code: 'analyte' };

/** The search that finds one analyte's ObservationDefinition. */
export function analyteQuery(code: string): string {
  const tag = `${ANALYTE_TAG.system}|${ANALYTE_TAG.code}`;
  return `ObservationDefinition?code=${encodeURIComponent(`${LOINC}|${code}`)}&_tag=${encodeURIComponent(tag)}`;
}

export function activityDefinitionUrl(code: string): string {
  return `${SYSTEMS.labCatalog}/ActivityDefinition/${code}`;
}

export const VALUE_SET_URL = LAB_CATALOG_VALUE_SET_URL;

export function observationDefinitions(source: CatalogSource): ObservationDefinition[] {
  return source.analytes.map((analyte) => {
    const quantity = (value: number) => ({ value, unit: analyte.unit, system: UCUM, code: analyte.unit });
    return {
      resourceType: 'ObservationDefinition',
      meta: { tag: [ANALYTE_TAG] },
      identifier: [{ system: ANALYTE_SYSTEM, value: analyte.code }],
      category: [
        {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }],
        },
      ],
      code: { coding: [{ system: LOINC, code: analyte.code, display: analyte.display }], text: analyte.display },
      permittedDataType: ['Quantity'],
      quantitativeDetails: {
        unit: { coding: [{ system: UCUM, code: analyte.unit }], text: analyte.unit },
        decimalPrecision: analyte.decimals,
      },
      qualifiedInterval: [
        { category: 'reference', range: { low: quantity(analyte.low), high: quantity(analyte.high) } },
      ],
    };
  });
}

/** `analyteIds`: LOINC code -> id of the live ObservationDefinition (published first, so its id is known). */
export function activityDefinitions(source: CatalogSource, analyteIds: Map<string, string>): ActivityDefinition[] {
  return source.tests.map((test) => ({
    resourceType: 'ActivityDefinition',
    url: activityDefinitionUrl(test.code),
    version: source.version,
    name: `LabTest_${test.code.replace('-', '_')}`,
    title: test.display,
    status: 'active',
    kind: 'ServiceRequest',
    code: { coding: [{ system: LOINC, code: test.code, display: test.display }], text: test.display },
    observationResultRequirement: test.analytes.map((code) => ({
      reference: `ObservationDefinition/${analyteIds.get(code) ?? code}`,
    })),
  }));
}

export function orderableValueSet(source: CatalogSource): ValueSet {
  return {
    resourceType: 'ValueSet',
    url: VALUE_SET_URL,
    version: source.version,
    name: 'OrderableLabTests',
    title: 'Orderable lab tests',
    status: 'active',
    compose: { include: [{ system: LOINC, concept: source.tests.map(({ code, display }) => ({ code, display })) }] },
  };
}

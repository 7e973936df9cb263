/**
 * A FHIR resource id (R4 `id`: 1-64 of A-Z a-z 0-9 - .). Ids that come from outside — a webhook body, a URL path, a
 * header, a file — are checked with this before they go into a FHIR path or a reference, so `../Patient/x` or a query
 * string can never ride along.
 */
export const FHIR_ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

export function isFhirId(value: unknown): value is string {
  return typeof value === 'string' && FHIR_ID_PATTERN.test(value);
}

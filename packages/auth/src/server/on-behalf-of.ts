import type { Reference } from '@medplum/fhirtypes';
import { isFhirId } from '../fhir-id.ts';

export const ON_BEHALF_OF_HEADER = 'X-Medplum-On-Behalf-Of';

/** What Medplum accepts in X-Medplum-On-Behalf-Of: a membership, or a profile it looks the membership up by. */
const ON_BEHALF_OF_TYPES = ['ProjectMembership', 'Practitioner', 'Patient', 'RelatedPerson'] as const;
export type OnBehalfOfType = (typeof ON_BEHALF_OF_TYPES)[number];
export type OnBehalfOfReference = `${OnBehalfOfType}/${string}`;

/** Validates and normalises `ProjectMembership/<id>` or a profile reference; anything else throws. */
export function onBehalfOfValue(target: string | Reference): OnBehalfOfReference {
  const value = typeof target === 'string' ? target : target.reference;
  if (!value) throw new TypeError('on-behalf-of needs a reference');
  const slash = value.indexOf('/');
  const type = value.slice(0, slash);
  const id = value.slice(slash + 1);
  if (slash < 0 || !(ON_BEHALF_OF_TYPES as readonly string[]).includes(type) || !isFhirId(id)) {
    throw new TypeError(
      `on-behalf-of must be ProjectMembership/<id> or a Practitioner/Patient/RelatedPerson reference, got ${JSON.stringify(value.slice(0, 80))}`
    );
  }
  return value as OnBehalfOfReference;
}

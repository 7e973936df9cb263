/**
 * Who wrote a resource version, read from what Medplum stamps on every write: `meta.author` is the authenticated
 * identity (a user's profile, or a ClientApplication), `meta.onBehalfOf` the user a confidential client acted for with
 * `X-Medplum-On-Behalf-Of` (packages/server/src/fhir/repo.ts sets both from the request's auth state).
 */
import type { AuditEvent, Meta, Reference } from '@medplum/fhirtypes';

/** The integration pattern a write came through, as the meta alone shows it. */
export type Pattern = 'client-side' | 'server-side' | 'device' | 'system';

export interface Attribution {
  pattern: Pattern;
  author: Reference | undefined;
  onBehalfOf: Reference | undefined;
}

const PROFILE_TYPES = ['Practitioner', 'Patient', 'RelatedPerson'];

/**
 * - on behalf of a user: a confidential client (the proxy) acting for that user — server side;
 * - a ClientApplication acting as itself: client credentials, the device pattern;
 * - a user's profile: the user signed in and wrote it themselves — client side (the web app);
 * - nothing, or Medplum's `system`: the server itself (seed data, subscription AuditEvents).
 */
export function attributionOf(meta: Meta | undefined): Attribution {
  const author = meta?.author;
  const onBehalfOf = meta?.onBehalfOf;
  const type = author?.reference?.split('/')[0];
  let pattern: Pattern = 'system';
  if (onBehalfOf) pattern = 'server-side';
  else if (type === 'ClientApplication') pattern = 'device';
  else if (type && PROFILE_TYPES.includes(type)) pattern = 'client-side';
  return { pattern, author, onBehalfOf };
}

export const PATTERN_LABELS: Record<Pattern, string> = {
  'client-side': 'client side (signed-in user)',
  'server-side': 'server side (proxy on behalf of a user)',
  device: 'device (client credentials)',
  system: 'Medplum itself',
};

/** AuditEvent.outcome codes (Medplum's `AuditEventOutcome`): 0 success, 4 minor, 8 serious, 12 major failure. */
export function deliveryOutcome(event: AuditEvent): { ok: boolean; label: string } {
  const labels: Record<string, string> = { '0': 'success', '4': 'minor failure', '8': 'serious failure' };
  const code = event.outcome ?? '';
  return {
    ok: code === '0',
    label: labels[code] ?? (code === '12' ? 'major failure' : `outcome ${code || 'unknown'}`),
  };
}

/** The resource a delivery AuditEvent is about: its "Domain" (or "Patient") entity, not the Subscription. */
export function deliveredResource(event: AuditEvent): Reference | undefined {
  return event.entity?.find((entity) => !entity.what?.reference?.startsWith('Subscription/'))?.what;
}

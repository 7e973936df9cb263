import { createReference } from '@medplum/core';
import type { AuditEvent, AuditEventEntity, Coding, Meta, Reference, Resource, Subscription } from '@medplum/fhirtypes';

/** AuditEvent.outcome codes Medplum uses for delivery attempts. */
export const AuditEventOutcome = {
  Success: '0',
  MinorFailure: '4',
  SeriousFailure: '8',
} as const;
export type AuditEventOutcome = (typeof AuditEventOutcome)[keyof typeof AuditEventOutcome];

export interface SubscriptionAuditEventInput {
  /** The resource version that triggered the delivery. */
  resource: Resource;
  subscription: Subscription;
  /** When the triggering write happened; the same for every attempt (Medplum's `requestTime`). */
  requestTime: string;
  outcome: AuditEventOutcome;
  outcomeDesc: string;
  /** The writing request's ids (Medplum's `tracing` extension, from the job's request context). */
  trace?: { requestId: string; traceId: string };
  now?: () => Date;
}

/**
 * One AuditEvent per delivery attempt, shaped as Medplum's `createSubscriptionAuditEvent`
 * (packages/server/src/util/auditevent.ts): type `transmit`, the Subscription as agent type, observer and
 * "Subscriber" entity, the resource as "Domain" (or "Patient") entity, `meta.project`/`account`/`accounts` copied
 * from the Subscription.
 */
export function buildSubscriptionAuditEvent(input: SubscriptionAuditEventInput): AuditEvent {
  const { resource, subscription } = input;
  const end = (input.now ?? (() => new Date()))().toISOString();
  const meta: Meta = {};
  if (subscription.meta?.project) meta.project = subscription.meta.project;
  if (subscription.meta?.account) meta.account = subscription.meta.account;
  if (subscription.meta?.accounts) meta.accounts = subscription.meta.accounts;
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    period: { start: input.requestTime, end },
    recorded: end,
    type: { code: 'transmit' },
    agent: [{ type: { text: subscription.resourceType }, requestor: false }],
    source: { observer: createReference(subscription) as Reference as AuditEvent['source']['observer'] },
    entity: [resource, subscription].flatMap((r) => (r.id ? [entityFor(r)] : [])),
    outcome: input.outcome,
    outcomeDesc: input.outcomeDesc,
  };
  if (Object.keys(meta).length > 0) {
    event.meta = meta;
  }
  if (input.trace) {
    // packages/server/src/context.ts `buildTracingExtension`.
    event.extension = [
      {
        url: 'https://medplum.com/fhir/StructureDefinition/tracing',
        extension: [
          { url: 'requestId', valueId: input.trace.requestId },
          { url: 'traceId', valueId: input.trace.traceId },
        ],
      },
    ];
  }
  return event;
}

function entityFor(resource: Resource): AuditEventEntity {
  return { what: createReference(resource), role: roleFor(resource) };
}

function roleFor(resource: Resource): Coding {
  switch (resource.resourceType) {
    case 'Patient':
      return { code: '1', display: 'Patient' };
    case 'Subscription':
      return { code: '9', display: 'Subscriber' };
    default:
      return { code: '4', display: 'Domain' };
  }
}

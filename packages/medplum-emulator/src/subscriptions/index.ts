// Rest-hook Subscriptions as Medplum delivers them (packages/server/src/workers/subscription.ts).

export type { SubscriptionAuditEventInput } from './audit-event.ts';
export { AuditEventOutcome, buildSubscriptionAuditEvent } from './audit-event.ts';
export type { SubscriptionAutoDisableTrigger } from './auto-disable.ts';
export { autoDisableMessage, FailureTracker, projectAutoDisableTriggers } from './auto-disable.ts';
export { createSubscriptionDispatcher } from './dispatcher.ts';
export type { RequestTrace } from './request-trace.ts';
export { currentRequestTrace, isTraceparent, requestTrace, traceIdFromHeaders } from './request-trace.ts';
export {
  AUDIT_EVENT_DESTINATION_URL,
  buildRestHookHeaders,
  DEFAULT_MAX_ATTEMPTS,
  FHIR_PATH_CRITERIA_URL,
  getMaxAttempts,
  getSubscriptionSecret,
  getTotalRuns,
  isSuccessStatus,
  LEGACY_SUBSCRIPTION_SECRET_URL,
  MAX_ATTEMPTS_URL,
  SUBSCRIPTION_SECRET_URL,
  SUCCESS_CODES_URL,
  SUPPORTED_INTERACTION_URL,
  signBody,
} from './rest-hook.ts';
export type {
  SubscriptionDispatcher,
  SubscriptionDispatcherOptions,
  WriteEvent,
  WriteInteraction,
} from './types.ts';

// Rest-hook Subscriptions as Medplum delivers them (medplum-facts §8).
export type { SubscriptionAuditEventInput } from './audit-event.ts';
export { AuditEventOutcome, buildSubscriptionAuditEvent } from './audit-event.ts';
export { createSubscriptionDispatcher } from './dispatcher.ts';
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

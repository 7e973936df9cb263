import type { FhirRepository } from '@medplum/fhir-router';
import type { Resource } from '@medplum/fhirtypes';
import type { SubscriptionAutoDisableTrigger } from './auto-disable.ts';

export type WriteInteraction = 'create' | 'update' | 'delete';

export interface WriteEvent {
  /** The version that was written (for a delete: the last version before the delete). */
  resource: Resource;
  interaction: WriteInteraction;
  /** The version before this write, for update and delete (FHIRPath criteria with %previous). */
  previous?: Resource;
}

export interface SubscriptionDispatcherOptions {
  /** System-level access: searches active rest-hook Subscriptions and stores AuditEvents. */
  repo: FhirRepository;
  /** Defaults to globalThis.fetch. */
  fetch?: typeof fetch;
  /** First retry delay; later ones double (Medplum: 1 s · 2^n). Tests pass a few ms. */
  baseRetryDelayMs?: number;
  /** One line per delivery attempt, never with secrets or bodies. */
  log?: (line: string) => void;
  /** Abort one HTTP attempt after this many ms (Medplum: 120 s). The attempt then counts as a failure. */
  requestTimeoutMs?: number;
  /**
   * The server's auto-disable triggers (Medplum's `subscriptionAutoDisable` config; none by default). A Project's
   * `subscriptionAutoDisable` system setting overrides them.
   */
  autoDisable?: SubscriptionAutoDisableTrigger[];
}

export interface SubscriptionDispatcher {
  /** Called after every successful write; returns at once, delivery runs in the background. */
  notify(event: WriteEvent): void;
  /** Resolves once every delivery queued so far, retries included, has finished. */
  idle(): Promise<void>;
  /** Cancels pending retries and waits for in-flight requests. */
  stop(): Promise<void>;
}

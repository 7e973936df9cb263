import { isGone, isNotFound, normalizeOperationOutcome } from '@medplum/core';
import type { Resource, Subscription } from '@medplum/fhirtypes';
import type { FailureTracker, SubscriptionAutoDisableTrigger } from './auto-disable.ts';
import type { RequestTrace } from './request-trace.ts';
import type { SubscriptionDispatcherOptions, WriteInteraction } from './types.ts';

export type StoredSubscription = Subscription & { id: string };

/** One resource write to deliver to one Subscription, with its retries. */
export interface Delivery {
  subscriptionId: string;
  resource: Resource;
  interaction: WriteInteraction;
  /** ISO time of the write; every attempt's AuditEvent starts its period here. */
  requestTime: string;
  /** The ids of the request that wrote, when it ran inside `requestTrace()`. */
  trace?: RequestTrace;
}

/** What matching, delivery and auditing share: the options resolved, the failure counts, and the dispatcher's state. */
export interface DispatchRuntime {
  repo: SubscriptionDispatcherOptions['repo'];
  fetch: typeof fetch;
  baseDelay: number;
  timeoutMs: number;
  log: (line: string) => void;
  serverAutoDisable: SubscriptionAutoDisableTrigger[] | undefined;
  failures: FailureTracker;
  /** Aborted when the dispatcher stops: cancels in-flight requests. */
  stopSignal: AbortSignal;
  isStopped(): boolean;
  /** Waits `ms`, or less if the dispatcher stops meanwhile. */
  sleep(ms: number): Promise<void>;
  /** Runs `work` in the background; `idle()` waits for it and nothing it throws reaches a caller. */
  track(work: Promise<void>): void;
}

/** The resource, or undefined when it is gone or was never there. */
export async function tryRead<T extends Resource>(
  runtime: DispatchRuntime,
  resourceType: string,
  id: string
): Promise<T | undefined> {
  try {
    return await runtime.repo.readResource<T>(resourceType, id);
  } catch (err) {
    const outcome = normalizeOperationOutcome(err);
    if (isGone(outcome) || isNotFound(outcome)) {
      return undefined;
    }
    throw err;
  }
}

/** `Error: message`, plus the low-level reason fetch hides in `cause` (e.g. `connect ECONNREFUSED 127.0.0.1:1`). */
export function describeError(err: unknown): string {
  const text = String(err);
  if (err instanceof Error && err.cause instanceof Error && err.cause.message) {
    return `${text} (${err.cause.message})`;
  }
  return text;
}

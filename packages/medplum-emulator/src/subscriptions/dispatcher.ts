import {
  getReferenceString,
  isGone,
  isNotFound,
  normalizeOperationOutcome,
  Operator,
  resourceMatchesSubscriptionCriteria,
  stringify,
} from '@medplum/core';
import type { AuditEvent, Resource, Subscription } from '@medplum/fhirtypes';
import { AuditEventOutcome, buildSubscriptionAuditEvent } from './audit-event.ts';
import {
  buildRestHookHeaders,
  getAuditEventDestinations,
  getTotalRuns,
  isSuccessStatus,
  restHookBody,
  retryDelayMs,
} from './rest-hook.ts';
import type { SubscriptionDispatcher, SubscriptionDispatcherOptions, WriteEvent, WriteInteraction } from './types.ts';

/** Medplum's timeout for one rest-hook request. */
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
const DEFAULT_BASE_RETRY_DELAY_MS = 1000;

type StoredSubscription = Subscription & { id: string };

interface Delivery {
  subscriptionId: string;
  resource: Resource;
  interaction: WriteInteraction;
  /** ISO time of the write; every attempt's AuditEvent starts its period here. */
  requestTime: string;
}

type AttemptResult = 'success' | 'failure' | 'stopped';

/**
 * Medplum's rest-hook subscription worker, in process: after each write, the matching active rest-hook Subscriptions
 * are found at once (as Medplum evaluates criteria at write time), and each delivery then runs in the background with
 * its own retries. Nothing here ever throws into the caller of `notify`.
 */
export function createSubscriptionDispatcher(options: SubscriptionDispatcherOptions): SubscriptionDispatcher {
  const repo = options.repo;
  const doFetch = options.fetch ?? globalThis.fetch;
  const baseDelay = options.baseRetryDelayMs ?? DEFAULT_BASE_RETRY_DELAY_MS;
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const log = options.log ?? (() => {});

  const pending = new Set<Promise<void>>();
  const sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  const stopController = new AbortController();
  let stopped = false;

  function track(work: Promise<void>): void {
    const settled = work.catch((err: unknown) => log(`subscriptions: unexpected error: ${describeError(err)}`));
    const entry = settled.finally(() => pending.delete(entry));
    pending.add(entry);
  }

  /** Waits `ms`, or less if the dispatcher stops meanwhile. */
  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          sleepers.delete(sleeper);
          resolve();
        }, ms),
        wake: () => {
          clearTimeout(sleeper.timer);
          sleepers.delete(sleeper);
          resolve();
        },
      };
      sleepers.add(sleeper);
    });
  }

  async function dispatch(event: WriteEvent, requestTime: string): Promise<void> {
    const { resource, interaction } = event;
    if (resource.resourceType === 'AuditEvent' || !resource.id) {
      return; // Medplum never sends subscriptions for AuditEvents
    }
    const subscriptions = await repo.searchResources<Subscription>({
      resourceType: 'Subscription',
      filters: [{ code: 'status', operator: Operator.EQUALS, value: 'active' }],
      count: 1000,
    });
    for (const subscription of subscriptions) {
      if (stopped) return;
      if (subscription.channel?.type !== 'rest-hook' || !sameProject(subscription, resource)) {
        continue;
      }
      let matches: boolean;
      try {
        matches = await resourceMatchesSubscriptionCriteria({
          resource,
          subscription,
          context: { interaction },
          getPreviousResource: async () => event.previous,
        });
      } catch (err) {
        // Medplum logs and skips a subscription whose criteria cannot be evaluated
        log(`subscriptions: ${getReferenceString(subscription)} criteria error: ${describeError(err)}`);
        continue;
      }
      if (matches) {
        track(deliver({ subscriptionId: subscription.id, resource, interaction, requestTime }));
      }
    }
  }

  async function deliver(delivery: Delivery): Promise<void> {
    const label = `Subscription/${delivery.subscriptionId} ${delivery.resource.resourceType}/${delivery.resource.id} ${delivery.interaction}`;
    for (let attempt = 0; !stopped; attempt++) {
      // Like Medplum's worker, every run re-reads the Subscription and the resource before sending.
      const subscription = await tryRead<Subscription>('Subscription', delivery.subscriptionId);
      if (subscription?.status !== 'active' || subscription.channel?.type !== 'rest-hook') {
        log(`subscriptions: ${label} dropped: subscription gone or not active`);
        return;
      }
      if (delivery.interaction !== 'delete') {
        const current = await tryRead<Resource>(delivery.resource.resourceType, delivery.resource.id as string);
        if (!current) {
          log(`subscriptions: ${label} dropped: resource deleted`);
          return;
        }
        if (attempt > 0 && current.meta?.versionId !== delivery.resource.meta?.versionId) {
          log(`subscriptions: ${label} retry dropped: resource has a newer version`);
          return;
        }
      }
      const endpoint = subscription.channel.endpoint;
      if (!endpoint) {
        log(`subscriptions: ${label} dropped: no channel.endpoint`);
        return;
      }
      if (endpoint.startsWith('Bot/')) {
        log(`subscriptions: ${label} dropped: Bot endpoints are not supported by the emulator`);
        return;
      }

      const result = await attemptOnce(subscription as StoredSubscription, endpoint, delivery, attempt, label);
      if (result !== 'failure') {
        return;
      }
      if (attempt + 1 >= getTotalRuns(subscription)) {
        log(`subscriptions: ${label} gave up after ${attempt + 1} attempt(s)`);
        return;
      }
      await sleep(retryDelayMs(baseDelay, attempt));
    }
  }

  async function attemptOnce(
    subscription: StoredSubscription,
    endpoint: string,
    delivery: Delivery,
    attempt: number,
    label: string
  ): Promise<AttemptResult> {
    const body = restHookBody(delivery.resource, delivery.interaction, stringify);
    let headers: Record<string, string>;
    try {
      headers = buildRestHookHeaders(subscription, delivery.resource, delivery.interaction, body);
    } catch (err) {
      // Medplum's worker fails such a run before any request and without an AuditEvent, then retries
      log(`subscriptions: ${label} attempt ${attempt} not sent: ${describeError(err)}`);
      return 'failure';
    }

    let outcome: AuditEventOutcome;
    let outcomeDesc: string;
    let success = false;
    try {
      const response = await doFetch(endpoint, {
        method: 'POST',
        headers,
        body,
        // redirects are followed, as node-fetch does in Medplum's worker; success is judged on the final status
        signal: AbortSignal.any([stopController.signal, AbortSignal.timeout(timeoutMs)]),
      });
      await response.body?.cancel().catch(() => {});
      success = isSuccessStatus(subscription, response.status);
      outcome = success ? AuditEventOutcome.Success : AuditEventOutcome.MinorFailure;
      outcomeDesc = `Attempt ${attempt} received status ${response.status}`;
      log(`subscriptions: ${label} attempt ${attempt}: status ${response.status}`);
    } catch (err) {
      if (stopController.signal.aborted) {
        log(`subscriptions: ${label} attempt ${attempt} cancelled: dispatcher stopped`);
        return 'stopped';
      }
      outcome = AuditEventOutcome.MinorFailure;
      outcomeDesc = `Attempt ${attempt} received error ${describeError(err)}`;
      log(`subscriptions: ${label} attempt ${attempt}: error ${describeError(err)}`);
    }

    await recordAttempt(subscription, delivery, outcome, outcomeDesc, label);
    return success ? 'success' : 'failure';
  }

  async function recordAttempt(
    subscription: StoredSubscription,
    delivery: Delivery,
    outcome: AuditEventOutcome,
    outcomeDesc: string,
    label: string
  ): Promise<void> {
    const auditEvent = buildSubscriptionAuditEvent({
      resource: delivery.resource,
      subscription,
      requestTime: delivery.requestTime,
      outcome,
      outcomeDesc,
    });
    const destinations = getAuditEventDestinations(subscription);
    if (destinations.has('log')) {
      log(`subscriptions: AuditEvent ${label} outcome ${outcome}: ${outcomeDesc}`);
    }
    if (destinations.has('resource')) {
      try {
        await repo.createResource<AuditEvent>(auditEvent);
      } catch (err) {
        log(`subscriptions: ${label} could not store AuditEvent: ${describeError(err)}`);
      }
    }
  }

  async function tryRead<T extends Resource>(resourceType: string, id: string): Promise<T | undefined> {
    try {
      return await repo.readResource<T>(resourceType, id);
    } catch (err) {
      const outcome = normalizeOperationOutcome(err);
      if (isGone(outcome) || isNotFound(outcome)) {
        return undefined;
      }
      throw err;
    }
  }

  async function idle(): Promise<void> {
    while (pending.size > 0) {
      await Promise.all([...pending]);
    }
  }

  return {
    notify(event: WriteEvent): void {
      if (stopped) return;
      try {
        // A private copy: the caller may reuse or change its objects after the write returns.
        const snapshot = structuredClone(event);
        const requestTime = new Date().toISOString();
        track(Promise.resolve().then(() => dispatch(snapshot, requestTime)));
      } catch (err) {
        log(`subscriptions: notify failed: ${describeError(err)}`);
      }
    },

    idle,

    async stop(): Promise<void> {
      stopped = true;
      stopController.abort();
      for (const sleeper of [...sleepers]) {
        sleeper.wake();
      }
      await idle();
    },
  };
}

/** Medplum searches the Subscriptions of the written resource's project; one repository here, so compare when both say. */
function sameProject(subscription: Subscription, resource: Resource): boolean {
  const a = subscription.meta?.project;
  const b = resource.meta?.project;
  return !a || !b || a === b;
}

/** `Error: message`, plus the low-level reason fetch hides in `cause` (e.g. `connect ECONNREFUSED 127.0.0.1:1`). */
function describeError(err: unknown): string {
  const text = String(err);
  if (err instanceof Error && err.cause instanceof Error && err.cause.message) {
    return `${text} (${err.cause.message})`;
  }
  return text;
}

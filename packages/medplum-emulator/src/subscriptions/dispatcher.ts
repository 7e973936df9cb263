import {
  getReferenceString,
  isGone,
  isNotFound,
  normalizeOperationOutcome,
  Operator,
  resourceMatchesSubscriptionCriteria,
  stringify,
} from '@medplum/core';
import type { AuditEvent, Project, Resource, Subscription } from '@medplum/fhirtypes';
import { AuditEventOutcome, buildSubscriptionAuditEvent } from './audit-event.ts';
import type { SubscriptionAutoDisableTrigger } from './auto-disable.ts';
import { autoDisableMessage, FailureTracker, projectAutoDisableTriggers } from './auto-disable.ts';
import type { RequestTrace } from './request-trace.ts';
import { currentRequestTrace } from './request-trace.ts';
import {
  buildRestHookHeaders,
  getAuditEventDestinations,
  getMaxAttempts,
  HARD_CAP_RUNS,
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
  /** The ids of the request that wrote, when it ran inside `requestTrace()`. */
  trace?: RequestTrace;
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
  const serverAutoDisable = options.autoDisable;
  const failures = new FailureTracker();

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

  async function dispatch(event: WriteEvent, requestTime: string, trace: RequestTrace | undefined): Promise<void> {
    const { resource, interaction } = event;
    if (resource.resourceType === 'AuditEvent' || !resource.id) {
      return; // Medplum never sends subscriptions for AuditEvents
    }
    if (resource.resourceType === 'Subscription' && resource.channel?.type === 'websocket') {
      // As packages/server/src/workers/subscription.ts `addSubscriptionJobs`: writes of websocket Subscriptions
      // trigger nothing.
      return;
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
        track(
          deliver({ subscriptionId: subscription.id, resource, interaction, requestTime, ...(trace ? { trace } : {}) })
        );
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
      if (result === 'success') {
        failures.clear(delivery.subscriptionId);
        return;
      }
      if (result === 'stopped') {
        return;
      }
      // As packages/server/src/workers/subscription.ts `catchJobError`: retry while fewer attempts than the
      // max-attempts extension were made (BullMQ runs a job 19 times at most); else count one failed event.
      if (attempt >= getMaxAttempts(subscription)) {
        log(`subscriptions: ${label} gave up after ${attempt + 1} attempt(s)`);
        await recordFailedEvent(subscription as StoredSubscription, label);
        return;
      }
      if (attempt + 1 >= HARD_CAP_RUNS) {
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
      headers = buildRestHookHeaders(
        subscription,
        delivery.resource,
        delivery.interaction,
        body,
        delivery.trace?.traceId
      );
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
      // As packages/server/src/workers/subscription.ts `sendRestHook` (global fetch): `${ex}`, so an unreachable
      // endpoint reads "TypeError: fetch failed"; the cause goes to the log only.
      outcomeDesc = `Attempt ${attempt} received error ${String(err)}`;
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
      ...(delivery.trace ? { trace: delivery.trace } : {}),
    });
    await storeAuditEvent(subscription, auditEvent, label);
  }

  async function storeAuditEvent(subscription: StoredSubscription, auditEvent: AuditEvent, label: string) {
    const destinations = getAuditEventDestinations(subscription);
    if (destinations.has('log')) {
      // As packages/server/src/util/auditevent.ts `logAuditEvent`: the AuditEvent itself, as one JSON line.
      log(JSON.stringify(auditEvent));
    }
    if (destinations.has('resource')) {
      try {
        await repo.createResource<AuditEvent>(auditEvent);
      } catch (err) {
        log(`subscriptions: ${label} could not store AuditEvent: ${describeError(err)}`);
      }
    }
  }

  /**
   * One more failed event for the Subscription; disables it when an auto-disable trigger fires
   * (packages/server/src/workers/subscription.ts `autoDisableSubscription`): `status` back to `off` only if it is still
   * `active`, `error` set, and a SeriousFailure AuditEvent about the Subscription itself.
   */
  async function recordFailedEvent(subscription: StoredSubscription, label: string): Promise<void> {
    const triggers = await autoDisableTriggers(subscription);
    const fired = failures.record(subscription.id, triggers);
    if (!fired) {
      return;
    }
    const message = autoDisableMessage(fired.trigger, fired.failureCount);
    try {
      const disabled = await repo.patchResource<Subscription>('Subscription', subscription.id, [
        { op: 'test', path: '/status', value: 'active' },
        { op: 'replace', path: '/status', value: 'off' },
        { op: 'add', path: '/error', value: message },
      ]);
      const auditEvent = buildSubscriptionAuditEvent({
        resource: disabled,
        subscription: disabled,
        requestTime: new Date().toISOString(),
        outcome: AuditEventOutcome.SeriousFailure,
        outcomeDesc: message,
      });
      await storeAuditEvent(disabled as StoredSubscription, auditEvent, label);
      failures.clear(subscription.id);
      log(`subscriptions: ${label}: Subscription/${subscription.id} ${message}`);
    } catch (err) {
      log(`subscriptions: ${label}: could not auto-disable Subscription/${subscription.id}: ${describeError(err)}`);
    }
  }

  async function autoDisableTriggers(
    subscription: Subscription
  ): Promise<SubscriptionAutoDisableTrigger[] | undefined> {
    const projectId = subscription.meta?.project;
    if (projectId) {
      const project = await tryRead<Project>('Project', projectId).catch(() => undefined);
      const override = projectAutoDisableTriggers(project);
      if (override !== undefined) {
        return override;
      }
    }
    return serverAutoDisable;
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
        // The writing request's ids, read now, while its async context is still the current one.
        const trace = currentRequestTrace();
        track(Promise.resolve().then(() => dispatch(snapshot, requestTime, trace)));
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

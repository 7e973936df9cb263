import { getReferenceString, Operator, resourceMatchesSubscriptionCriteria } from '@medplum/core';
import type { Resource, Subscription } from '@medplum/fhirtypes';
import { FailureTracker } from './auto-disable.ts';
import { deliver } from './delivery.ts';
import type { RequestTrace } from './request-trace.ts';
import { currentRequestTrace } from './request-trace.ts';
import type { DispatchRuntime } from './runtime.ts';
import { describeError } from './runtime.ts';
import type { SubscriptionDispatcher, SubscriptionDispatcherOptions, WriteEvent } from './types.ts';

/** Medplum's timeout for one rest-hook request. */
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
const DEFAULT_BASE_RETRY_DELAY_MS = 1000;

/**
 * Medplum's rest-hook subscription worker, in process: after each write, the matching active rest-hook Subscriptions
 * are found at once (as Medplum evaluates criteria at write time), and each delivery then runs in the background with
 * its own retries (./delivery.ts, audited by ./delivery-audit.ts). Nothing here ever throws into the caller of `notify`.
 */
export function createSubscriptionDispatcher(options: SubscriptionDispatcherOptions): SubscriptionDispatcher {
  const log = options.log ?? (() => {});
  const pending = new Set<Promise<void>>();
  const sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  const stopController = new AbortController();
  let stopped = false;

  const runtime: DispatchRuntime = {
    repo: options.repo,
    fetch: options.fetch ?? globalThis.fetch,
    baseDelay: options.baseRetryDelayMs ?? DEFAULT_BASE_RETRY_DELAY_MS,
    timeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    log,
    serverAutoDisable: options.autoDisable,
    failures: new FailureTracker(),
    stopSignal: stopController.signal,
    isStopped: () => stopped,
    sleep: (ms) =>
      new Promise((resolve) => {
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
      }),
    track: (work) => {
      const settled = work.catch((err: unknown) => log(`subscriptions: unexpected error: ${describeError(err)}`));
      const entry = settled.finally(() => pending.delete(entry));
      pending.add(entry);
    },
  };

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
        runtime.track(Promise.resolve().then(() => dispatch(runtime, snapshot, requestTime, trace)));
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

/** Finds the active rest-hook Subscriptions the write matches and starts one delivery for each. */
async function dispatch(
  runtime: DispatchRuntime,
  event: WriteEvent,
  requestTime: string,
  trace: RequestTrace | undefined
): Promise<void> {
  const { resource, interaction } = event;
  if (resource.resourceType === 'AuditEvent' || !resource.id) {
    return; // Medplum never sends subscriptions for AuditEvents
  }
  if (resource.resourceType === 'Subscription' && resource.channel?.type === 'websocket') {
    // As packages/server/src/workers/subscription.ts `addSubscriptionJobs`: writes of websocket Subscriptions
    // trigger nothing.
    return;
  }
  const subscriptions = await runtime.repo.searchResources<Subscription>({
    resourceType: 'Subscription',
    filters: [{ code: 'status', operator: Operator.EQUALS, value: 'active' }],
    count: 1000,
  });
  for (const subscription of subscriptions) {
    if (runtime.isStopped()) return;
    if (subscription.channel?.type !== 'rest-hook' || !sameProject(subscription, resource)) {
      continue;
    }
    if (await matches(runtime, subscription, event)) {
      runtime.track(
        deliver(runtime, {
          subscriptionId: subscription.id,
          resource,
          interaction,
          requestTime,
          ...(trace ? { trace } : {}),
        })
      );
    }
  }
}

/** The Subscription's criteria against the write; Medplum logs and skips a subscription whose criteria cannot be evaluated. */
async function matches(runtime: DispatchRuntime, subscription: Subscription, event: WriteEvent): Promise<boolean> {
  try {
    return await resourceMatchesSubscriptionCriteria({
      resource: event.resource,
      subscription,
      context: { interaction: event.interaction },
      getPreviousResource: async () => event.previous,
    });
  } catch (err) {
    runtime.log(`subscriptions: ${getReferenceString(subscription)} criteria error: ${describeError(err)}`);
    return false;
  }
}

/** Medplum searches the Subscriptions of the written resource's project; one repository here, so compare when both say. */
function sameProject(subscription: Subscription, resource: Resource): boolean {
  const a = subscription.meta?.project;
  const b = resource.meta?.project;
  return !a || !b || a === b;
}

import { stringify } from '@medplum/core';
import type { Resource, Subscription } from '@medplum/fhirtypes';
import { AuditEventOutcome } from './audit-event.ts';
import { recordAttempt, recordFailedEvent } from './delivery-audit.ts';
import {
  buildRestHookHeaders,
  getMaxAttempts,
  HARD_CAP_RUNS,
  isSuccessStatus,
  restHookBody,
  retryDelayMs,
} from './rest-hook.ts';
import type { Delivery, DispatchRuntime, StoredSubscription } from './runtime.ts';
import { describeError, tryRead } from './runtime.ts';

type AttemptResult = 'success' | 'failure' | 'stopped';

/** What one sent request came to, for its AuditEvent. */
interface Sent {
  success: boolean;
  outcome: AuditEventOutcome;
  outcomeDesc: string;
}

/** One write to one Subscription: attempts until one succeeds, the retries run out, or the dispatcher stops. */
export async function deliver(runtime: DispatchRuntime, delivery: Delivery): Promise<void> {
  const { log } = runtime;
  const label = `Subscription/${delivery.subscriptionId} ${delivery.resource.resourceType}/${delivery.resource.id} ${delivery.interaction}`;
  for (let attempt = 0; !runtime.isStopped(); attempt++) {
    const target = await deliveryTarget(runtime, delivery, attempt, label);
    if (!target) return;
    const { subscription, endpoint } = target;
    const result = await attemptOnce(runtime, subscription, endpoint, delivery, attempt, label);
    if (result === 'success') {
      runtime.failures.clear(delivery.subscriptionId);
      return;
    }
    if (result === 'stopped') {
      return;
    }
    // As packages/server/src/workers/subscription.ts `catchJobError`: retry while fewer attempts than the
    // max-attempts extension were made (BullMQ runs a job 19 times at most); else count one failed event.
    if (attempt >= getMaxAttempts(subscription)) {
      log(`subscriptions: ${label} gave up after ${attempt + 1} attempt(s)`);
      await recordFailedEvent(runtime, subscription, label);
      return;
    }
    if (attempt + 1 >= HARD_CAP_RUNS) {
      log(`subscriptions: ${label} gave up after ${attempt + 1} attempt(s)`);
      return;
    }
    await runtime.sleep(retryDelayMs(runtime.baseDelay, attempt));
  }
}

/**
 * Like Medplum's worker, every run re-reads the Subscription and the resource before sending: the Subscription and
 * its endpoint when the attempt may go ahead, undefined (logged) when the delivery is dropped.
 */
async function deliveryTarget(
  runtime: DispatchRuntime,
  delivery: Delivery,
  attempt: number,
  label: string
): Promise<{ subscription: StoredSubscription; endpoint: string } | undefined> {
  const { log } = runtime;
  const subscription = await tryRead<Subscription>(runtime, 'Subscription', delivery.subscriptionId);
  if (subscription?.status !== 'active' || subscription.channel?.type !== 'rest-hook') {
    log(`subscriptions: ${label} dropped: subscription gone or not active`);
    return undefined;
  }
  if (delivery.interaction !== 'delete') {
    const current = await tryRead<Resource>(runtime, delivery.resource.resourceType, delivery.resource.id as string);
    if (!current) {
      log(`subscriptions: ${label} dropped: resource deleted`);
      return undefined;
    }
    if (attempt > 0 && current.meta?.versionId !== delivery.resource.meta?.versionId) {
      log(`subscriptions: ${label} retry dropped: resource has a newer version`);
      return undefined;
    }
  }
  const endpoint = subscription.channel.endpoint;
  if (!endpoint) {
    log(`subscriptions: ${label} dropped: no channel.endpoint`);
    return undefined;
  }
  if (endpoint.startsWith('Bot/')) {
    log(`subscriptions: ${label} dropped: Bot endpoints are not supported by the emulator`);
    return undefined;
  }
  return { subscription: subscription as StoredSubscription, endpoint };
}

async function attemptOnce(
  runtime: DispatchRuntime,
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
    runtime.log(`subscriptions: ${label} attempt ${attempt} not sent: ${describeError(err)}`);
    return 'failure';
  }
  const sent = await send(runtime, subscription, endpoint, { headers, body }, attempt, label);
  if (sent === 'stopped') return 'stopped';
  await recordAttempt(runtime, subscription, delivery, sent.outcome, sent.outcomeDesc, label);
  return sent.success ? 'success' : 'failure';
}

/** The POST itself: its outcome, or 'stopped' when the dispatcher stopped meanwhile. */
async function send(
  runtime: DispatchRuntime,
  subscription: StoredSubscription,
  endpoint: string,
  request: { headers: Record<string, string>; body: string },
  attempt: number,
  label: string
): Promise<Sent | 'stopped'> {
  try {
    const response = await runtime.fetch(endpoint, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      // redirects are followed, as node-fetch does in Medplum's worker; success is judged on the final status
      signal: AbortSignal.any([runtime.stopSignal, AbortSignal.timeout(runtime.timeoutMs)]),
    });
    await response.body?.cancel().catch(() => {});
    const success = isSuccessStatus(subscription, response.status);
    runtime.log(`subscriptions: ${label} attempt ${attempt}: status ${response.status}`);
    return {
      success,
      outcome: success ? AuditEventOutcome.Success : AuditEventOutcome.MinorFailure,
      outcomeDesc: `Attempt ${attempt} received status ${response.status}`,
    };
  } catch (err) {
    if (runtime.stopSignal.aborted) {
      runtime.log(`subscriptions: ${label} attempt ${attempt} cancelled: dispatcher stopped`);
      return 'stopped';
    }
    runtime.log(`subscriptions: ${label} attempt ${attempt}: error ${describeError(err)}`);
    return {
      success: false,
      outcome: AuditEventOutcome.MinorFailure,
      // As packages/server/src/workers/subscription.ts `sendRestHook` (global fetch): `${ex}`, so an unreachable
      // endpoint reads "TypeError: fetch failed"; the cause goes to the log only.
      outcomeDesc: `Attempt ${attempt} received error ${String(err)}`,
    };
  }
}

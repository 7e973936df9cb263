import type { AuditEvent, Project, Subscription } from '@medplum/fhirtypes';
import { AuditEventOutcome, buildSubscriptionAuditEvent } from './audit-event.ts';
import type { SubscriptionAutoDisableTrigger } from './auto-disable.ts';
import { autoDisableMessage, projectAutoDisableTriggers } from './auto-disable.ts';
import { getAuditEventDestinations } from './rest-hook.ts';
import type { Delivery, DispatchRuntime, StoredSubscription } from './runtime.ts';
import { describeError, tryRead } from './runtime.ts';

/** The AuditEvent of one delivery attempt. */
export async function recordAttempt(
  runtime: DispatchRuntime,
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
  await storeAuditEvent(runtime, subscription, auditEvent, label);
}

async function storeAuditEvent(
  runtime: DispatchRuntime,
  subscription: StoredSubscription,
  auditEvent: AuditEvent,
  label: string
): Promise<void> {
  const destinations = getAuditEventDestinations(subscription);
  if (destinations.has('log')) {
    // As packages/server/src/util/auditevent.ts `logAuditEvent`: the AuditEvent itself, as one JSON line.
    runtime.log(JSON.stringify(auditEvent));
  }
  if (destinations.has('resource')) {
    try {
      await runtime.repo.createResource<AuditEvent>(auditEvent);
    } catch (err) {
      runtime.log(`subscriptions: ${label} could not store AuditEvent: ${describeError(err)}`);
    }
  }
}

/**
 * One more failed event for the Subscription; disables it when an auto-disable trigger fires
 * (packages/server/src/workers/subscription.ts `autoDisableSubscription`): `status` back to `off` only if it is still
 * `active`, `error` set, and a SeriousFailure AuditEvent about the Subscription itself.
 */
export async function recordFailedEvent(
  runtime: DispatchRuntime,
  subscription: StoredSubscription,
  label: string
): Promise<void> {
  const triggers = await autoDisableTriggers(runtime, subscription);
  const fired = runtime.failures.record(subscription.id, triggers);
  if (!fired) {
    return;
  }
  const message = autoDisableMessage(fired.trigger, fired.failureCount);
  try {
    const disabled = await runtime.repo.patchResource<Subscription>('Subscription', subscription.id, [
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
    await storeAuditEvent(runtime, disabled as StoredSubscription, auditEvent, label);
    runtime.failures.clear(subscription.id);
    runtime.log(`subscriptions: ${label}: Subscription/${subscription.id} ${message}`);
  } catch (err) {
    runtime.log(
      `subscriptions: ${label}: could not auto-disable Subscription/${subscription.id}: ${describeError(err)}`
    );
  }
}

/** The Project's own triggers when it sets them, else the server's. */
async function autoDisableTriggers(
  runtime: DispatchRuntime,
  subscription: Subscription
): Promise<SubscriptionAutoDisableTrigger[] | undefined> {
  const projectId = subscription.meta?.project;
  if (projectId) {
    const project = await tryRead<Project>(runtime, 'Project', projectId).catch(() => undefined);
    const override = projectAutoDisableTriggers(project);
    if (override !== undefined) {
      return override;
    }
  }
  return runtime.serverAutoDisable;
}

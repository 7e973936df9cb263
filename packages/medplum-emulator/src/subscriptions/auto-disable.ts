import type { Project } from '@medplum/fhirtypes';

/**
 * Medplum's subscription auto-disable (packages/server/src/workers/subscription-failure-tracker.ts): every delivery
 * whose retries are all used up counts as one failure of its Subscription; when a trigger sees
 * `maxConsecutiveFailures` failures within its last `timeWindowSeconds`, the worker sets the Subscription `off` with an
 * `error`. A successful delivery clears the count. The triggers come from the Project's system setting
 * `subscriptionAutoDisable` (a JSON array in `valueString`) when it is valid, else from the server config (none by
 * default: nothing is ever disabled).
 */
export interface SubscriptionAutoDisableTrigger {
  maxConsecutiveFailures: number;
  timeWindowSeconds: number;
}

const SYSTEM_SETTING = 'subscriptionAutoDisable';

function isValidTrigger(value: unknown): value is SubscriptionAutoDisableTrigger {
  const trigger = value as SubscriptionAutoDisableTrigger;
  return (
    !!value &&
    typeof value === 'object' &&
    Number.isInteger(trigger.maxConsecutiveFailures) &&
    trigger.maxConsecutiveFailures > 0 &&
    Number.isInteger(trigger.timeWindowSeconds) &&
    trigger.timeWindowSeconds > 0
  );
}

/** The Project's override, or undefined when it has none or it is invalid (Medplum then uses the server config). */
export function projectAutoDisableTriggers(project: Project | undefined): SubscriptionAutoDisableTrigger[] | undefined {
  const setting = project?.systemSetting?.find((s) => s.name === SYSTEM_SETTING);
  if (setting?.valueString === undefined) {
    return undefined;
  }
  try {
    const parsed = JSON.parse(setting.valueString) as unknown;
    return Array.isArray(parsed) && parsed.every(isValidTrigger) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `Subscription.error` Medplum writes when it disables a Subscription. */
export function autoDisableMessage(trigger: SubscriptionAutoDisableTrigger, failureCount: number): string {
  return `Automatically disabled after ${failureCount} consecutive failed events in the last ${trigger.timeWindowSeconds} seconds`;
}

/** The failure record of every Subscription (Medplum keeps it in Redis, one sorted set per Subscription). */
export class FailureTracker {
  readonly #failures = new Map<string, number[]>();

  /** Records one failure; returns the first trigger that fires, with the count it saw. */
  record(
    subscriptionId: string,
    triggers: SubscriptionAutoDisableTrigger[] | undefined,
    now = Date.now()
  ): { trigger: SubscriptionAutoDisableTrigger; failureCount: number } | undefined {
    if (!triggers || triggers.length === 0) {
      return undefined;
    }
    const maxWindowMs = Math.max(...triggers.map((t) => t.timeWindowSeconds)) * 1000;
    const times = (this.#failures.get(subscriptionId) ?? []).filter((t) => t > now - maxWindowMs);
    times.push(now);
    this.#failures.set(subscriptionId, times);
    for (const trigger of triggers) {
      const windowStart = now - trigger.timeWindowSeconds * 1000;
      const count = times.filter((t) => t >= windowStart).length;
      if (count >= trigger.maxConsecutiveFailures) {
        return { trigger, failureCount: count };
      }
    }
    return undefined;
  }

  clear(subscriptionId: string): void {
    this.#failures.delete(subscriptionId);
  }
}

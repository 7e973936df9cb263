import { createHmac } from 'node:crypto';
import { ContentType, getExtension, getExtensionValue } from '@medplum/core';
import type { Resource, Subscription } from '@medplum/fhirtypes';
import { isTraceparent } from './request-trace.ts';
import type { WriteInteraction } from './types.ts';

/*
 * The pieces of Medplum's rest-hook delivery that do not need a repository or a network
 * (packages/server/src/workers/subscription.ts and workers/utils.ts).
 */

/** The signing secret. Note the `www.` host, unlike every other Medplum subscription extension. */
export const SUBSCRIPTION_SECRET_URL = 'https://www.medplum.com/fhir/StructureDefinition/subscription-secret';
/** The first version of the secret extension; Medplum still reads it. */
export const LEGACY_SUBSCRIPTION_SECRET_URL = 'https://www.medplum.com/fhir/StructureDefinition-subscriptionSecret';
export const MAX_ATTEMPTS_URL = 'https://medplum.com/fhir/StructureDefinition/subscription-max-attempts';
export const SUCCESS_CODES_URL = 'https://medplum.com/fhir/StructureDefinition/subscription-success-codes';
const AUDIT_EVENT_DESTINATION_URL = 'https://medplum.com/fhir/StructureDefinition/subscription-audit-event-destination';
export const SUPPORTED_INTERACTION_URL =
  'https://medplum.com/fhir/StructureDefinition/subscription-supported-interaction';
export const FHIR_PATH_CRITERIA_URL = 'https://medplum.com/fhir/StructureDefinition/fhir-path-criteria-expression';

/** Medplum's default for the max-attempts extension. */
const DEFAULT_MAX_ATTEMPTS = 4;
/** BullMQ's hard cap on runs of one subscription job in Medplum (about 73 h of exponential backoff from 1 s). */
export const HARD_CAP_RUNS = 19;

/** The request body Medplum sends: the exact stored version, or `{}` for a delete. */
export function restHookBody(resource: Resource, interaction: WriteInteraction, stringify: (r: Resource) => string) {
  return interaction === 'delete' ? '{}' : stringify(resource);
}

/** Lowercase hex HMAC-SHA256 of the exact body bytes. */
function signBody(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/** The secret from the current extension, else the legacy one; undefined when neither holds a string. */
export function getSubscriptionSecret(subscription: Subscription): string | undefined {
  const value =
    getExtensionValue(subscription, SUBSCRIPTION_SECRET_URL) ||
    getExtensionValue(subscription, LEGACY_SUBSCRIPTION_SECRET_URL);
  return typeof value === 'string' && value ? value : undefined;
}

/**
 * Headers in Medplum's order: Content-Type, X-Medplum-Subscription, X-Medplum-Interaction, X-Medplum-Deleted-Resource
 * (deletes), each `channel.header` entry, X-Signature, then the trace of the writing request: `x-trace-id`, and
 * `traceparent` too when the trace id is a W3C traceparent.
 *
 * Medplum's quirk, kept on purpose: each `channel.header` string is split on every `:` and only the first two parts
 * are used, trimmed, so a value that itself contains `:` is cut short. An entry without any `:` makes Medplum's
 * worker throw before the request is sent; so does this function (the attempt then fails without a request).
 */
export function buildRestHookHeaders(
  subscription: Subscription & { id: string },
  resource: Resource,
  interaction: WriteInteraction,
  body: string,
  traceId?: string
): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': ContentType.FHIR_JSON,
    'X-Medplum-Subscription': subscription.id,
    'X-Medplum-Interaction': interaction,
  };
  if (interaction === 'delete') {
    headers['X-Medplum-Deleted-Resource'] = `${resource.resourceType}/${resource.id}`;
  }
  for (const entry of subscription.channel?.header ?? []) {
    const [key, value] = entry.split(/:/);
    if (key === undefined || value === undefined) {
      throw new Error('Subscription channel.header entry has no ":"');
    }
    headers[key.trim()] = value.trim();
  }
  const secret = getSubscriptionSecret(subscription);
  if (secret) {
    headers['X-Signature'] = signBody(body, secret);
  }
  if (traceId) {
    headers['x-trace-id'] = traceId;
    if (isTraceparent(traceId)) {
      headers.traceparent = traceId;
    }
  }
  return headers;
}

/**
 * How many times Medplum retries after the first attempt. Medplum's worker gives up once the number of attempts
 * already made reaches this value, so a subscription makes up to `maxAttempts + 1` requests in all (default 4 → 5),
 * never more than BullMQ's cap of 19.
 */
export function getMaxAttempts(subscription: Subscription): number {
  const value = getExtension(subscription, MAX_ATTEMPTS_URL)?.valueInteger;
  return typeof value === 'number' && Number.isInteger(value) ? value : DEFAULT_MAX_ATTEMPTS;
}

/** Medplum's success test: 200–399, or the list in the success-codes extension (`"200,201-299"`). */
export function isSuccessStatus(subscription: Subscription, status: number): boolean {
  const configured = getExtension(subscription, SUCCESS_CODES_URL)?.valueString;
  if (!configured) {
    return defaultSuccess(status);
  }
  for (const code of configured.replace(/ /g, '').split(',')) {
    if (code.includes('-')) {
      const [low, high] = code.split('-').map(Number);
      if (!Number.isInteger(low) || !Number.isInteger(high)) {
        return defaultSuccess(status);
      }
      if (status >= (low as number) && status <= (high as number)) {
        return true;
      }
    } else {
      const value = Number(code);
      if (!Number.isInteger(value)) {
        return defaultSuccess(status);
      }
      if (status === value) {
        return true;
      }
    }
  }
  return false;
}

function defaultSuccess(status: number): boolean {
  return status >= 200 && status < 400;
}

/** Where an attempt's AuditEvent goes: `resource` (default, stored) and/or `log`. */
export function getAuditEventDestinations(subscription: Subscription): Set<'resource' | 'log'> {
  const destinations = new Set<'resource' | 'log'>();
  for (const ext of subscription.extension ?? []) {
    if (ext.url === AUDIT_EVENT_DESTINATION_URL && (ext.valueCode === 'resource' || ext.valueCode === 'log')) {
      destinations.add(ext.valueCode);
    }
  }
  if (destinations.size === 0) {
    destinations.add('resource');
  }
  return destinations;
}

/** Medplum's retry delay before run `attempt + 1`: BullMQ exponential backoff, base · 2^attempt. */
export function retryDelayMs(baseDelayMs: number, attempt: number): number {
  return baseDelayMs * 2 ** attempt;
}

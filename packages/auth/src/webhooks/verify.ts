import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import { isFhirId } from '../fhir-id.ts';

/**
 * Verification of a Medplum rest-hook delivery. Order matters and is fixed: Basic credentials, then `X-Signature`
 * over the raw body bytes, and only then is the body parsed (JSON) and checked for freshness.
 */

export interface RestHookCredentials {
  /** The Subscription's `channel.header` `Authorization: Basic …` user and password. */
  basic?: { username: string; password: string };
  /** The Subscription's `subscription-secret` extension; when set, every delivery must carry a valid X-Signature. */
  secret?: string;
}

export interface RestHookVerifyOptions extends RestHookCredentials {
  /** Reject resources whose `meta.lastUpdated` is older than this (ms). Default 10 minutes; 0 turns it off. */
  maxAgeMs?: number;
  /** Tolerated clock skew for `meta.lastUpdated` in the future (ms). Default 60 s. */
  maxFutureSkewMs?: number;
  /**
   * Deletes are delivered as `{}`, so their signature is the same for every delete and proves nothing about which
   * resource was deleted. Refused unless explicitly accepted.
   */
  acceptDeletes?: boolean;
  /** Clock, for tests. */
  now?: () => number;
}

export type RestHookRejection =
  | 'missing-credentials'
  | 'bad-credentials'
  | 'missing-signature'
  | 'bad-signature'
  | 'invalid-body'
  | 'stale'
  | 'delete-not-accepted';

export interface RestHookDelivery {
  subscriptionId: string | undefined;
  interaction: 'create' | 'update' | 'delete' | undefined;
  /** The verified resource; undefined for deletes. */
  resource: Resource | undefined;
  /** `Type/id` of a deleted resource, from `X-Medplum-Deleted-Resource` (not covered by the signature). */
  deletedResource: string | undefined;
  /** subscription + resource type/id + meta.versionId: the same delivery retried gets the same key. */
  dedupeKey: string;
}

export type RestHookVerification =
  | { ok: true; delivery: RestHookDelivery }
  | { ok: false; status: 400 | 401; reason: RestHookRejection };

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === lower) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function toBytes(body: Uint8Array | ArrayBuffer | string): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** Equal-length digests first, so neither the length nor the content of the secret leaks through timing. */
function timingSafeEqualText(a: string, b: string): boolean {
  const key = 'rest-hook-compare';
  const da = createHmac('sha256', key).update(a, 'utf8').digest();
  const db = createHmac('sha256', key).update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

/** Lowercase hex HMAC-SHA256 of the exact bytes, as Medplum computes X-Signature. */
export function signRestHookBody(body: Uint8Array | ArrayBuffer | string, secret: string): string {
  return createHmac('sha256', secret).update(toBytes(body)).digest('hex');
}

export function checkBasicCredentials(
  authorization: string | undefined,
  expected: { username: string; password: string }
): 'ok' | 'missing-credentials' | 'bad-credentials' {
  if (!authorization) return 'missing-credentials';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!match?.[1]) return 'bad-credentials';
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'bad-credentials';
  // Both compared, always, so a wrong user name takes as long as a wrong password.
  const userOk = timingSafeEqualText(decoded.slice(0, colon), expected.username);
  const passwordOk = timingSafeEqualText(decoded.slice(colon + 1), expected.password);
  return userOk && passwordOk ? 'ok' : 'bad-credentials';
}

export function checkSignature(
  rawBody: Buffer,
  signature: string | undefined,
  secret: string
): 'ok' | 'missing-signature' | 'bad-signature' {
  if (!signature) return 'missing-signature';
  const given = signature.trim();
  if (!SIGNATURE_PATTERN.test(given)) return 'bad-signature';
  const expected = Buffer.from(signRestHookBody(rawBody, secret), 'hex');
  const actual = Buffer.from(given, 'hex');
  if (actual.length !== expected.length) return 'bad-signature';
  return timingSafeEqual(actual, expected) ? 'ok' : 'bad-signature';
}

export function assertVerifierConfigured(options: RestHookCredentials): void {
  if (!options.basic && !options.secret) {
    throw new Error('rest-hook verification needs Basic credentials, a signing secret, or both');
  }
  if (options.secret !== undefined && options.secret.length === 0) throw new Error('empty rest-hook secret');
}

function isResource(value: unknown): value is Resource {
  return typeof value === 'object' && value !== null && typeof (value as Resource).resourceType === 'string';
}

function interactionOf(value: string | undefined): RestHookDelivery['interaction'] {
  return value === 'create' || value === 'update' || value === 'delete' ? value : undefined;
}

/**
 * Verifies one delivery. `rawBody` must be the bytes as received: never a re-serialised parse (Medplum signs the
 * exact string it sent, and JSON.stringify of a parsed body is not guaranteed to reproduce it).
 */
export function verifyRestHook(
  rawBody: Uint8Array | ArrayBuffer | string,
  headers: HeaderSource,
  options: RestHookVerifyOptions
): RestHookVerification {
  assertVerifierConfigured(options);
  if (options.basic) {
    const result = checkBasicCredentials(header(headers, 'authorization'), options.basic);
    if (result !== 'ok') return { ok: false, status: 401, reason: result };
  }
  const bytes = toBytes(rawBody);
  if (options.secret) {
    const result = checkSignature(bytes, header(headers, 'x-signature'), options.secret);
    if (result !== 'ok') return { ok: false, status: 401, reason: result };
  }

  // Verified: only now is the body parsed.
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ok: false, status: 400, reason: 'invalid-body' };
  }
  const subscriptionId = header(headers, 'x-medplum-subscription');
  const interaction = interactionOf(header(headers, 'x-medplum-interaction'));
  const deletedResource = header(headers, 'x-medplum-deleted-resource');

  if (interaction === 'delete' || (!isResource(parsed) && deletedResource)) {
    if (!options.acceptDeletes) return { ok: false, status: 400, reason: 'delete-not-accepted' };
    return {
      ok: true,
      delivery: {
        subscriptionId,
        interaction: 'delete',
        resource: undefined,
        deletedResource,
        dedupeKey: `${subscriptionId ?? '-'}|delete|${deletedResource ?? '-'}`,
      },
    };
  }
  // The id will name the resource in references and paths downstream: only a FHIR id will do.
  if (!isResource(parsed) || !isFhirId(parsed.id)) return { ok: false, status: 400, reason: 'invalid-body' };

  const maxAge = options.maxAgeMs ?? 10 * 60_000;
  if (maxAge > 0) {
    const lastUpdated = Date.parse(parsed.meta?.lastUpdated ?? '');
    const now = (options.now ?? Date.now)();
    if (Number.isNaN(lastUpdated)) return { ok: false, status: 401, reason: 'stale' };
    if (now - lastUpdated > maxAge || lastUpdated - now > (options.maxFutureSkewMs ?? 60_000)) {
      return { ok: false, status: 401, reason: 'stale' };
    }
  }
  return {
    ok: true,
    delivery: {
      subscriptionId,
      interaction,
      resource: parsed,
      deletedResource: undefined,
      dedupeKey: restHookDedupeKey(subscriptionId, parsed),
    },
  };
}

export function restHookDedupeKey(subscriptionId: string | undefined, resource: Resource): string {
  return `${subscriptionId ?? '-'}|${resource.resourceType}/${resource.id ?? '-'}|${resource.meta?.versionId ?? '-'}`;
}

/**
 * One allowlisted call to Medplum for one signed-in user, through the long-lived service client of `@org/auth/server`:
 * the ClientApplication's token (cached, refreshed once at a time, one retry on 401) plus `X-Medplum-On-Behalf-Of:
 * <the user's ProjectMembership>`, built per call.
 *
 * Header allowlists, both ways:
 * - to Medplum: nothing from the browser. The upstream request is built from scratch by the SDK (`Authorization:
 *   Bearer <service token>`, `Accept`, `Content-Type`, `X-Medplum: extended`) plus the on-behalf-of header. The
 *   browser's `Cookie`, `Authorization`, `Origin`, `X-Forwarded-*` and every other header stay here.
 * - to the browser: nothing from Medplum. The answer is rebuilt as JSON with only `Content-Type`; Medplum's
 *   `WWW-Authenticate`, `Set-Cookie`, `RateLimit`, `Location` and the rest never leave the proxy.
 */
import { getStatus, isOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { type MedplumRefusal, refusalOf, type ServiceClient } from '@org/auth/server';
import type { LegacyUser } from '../users/store.ts';

export interface UpstreamCall {
  method: 'GET' | 'POST';
  /** Relative to the Medplum base URL, e.g. `fhir/R4/Patient?name=x`. */
  path: string;
  body?: unknown;
}

export interface ForwardResult {
  status: number;
  body: unknown;
  /** For the logs: Medplum's status, or why there was none. */
  upstream: number | string;
  /** Seconds, when Medplum throttled the proxy. */
  retryAfter?: number;
  /** Set when Medplum refused the call: the user's policy, or acting on the user's behalf at all. */
  refusal?: MedplumRefusal;
}

/** Only the issues of an OperationOutcome (no tracing extensions, no server details beyond the issue text). */
function outcomeBody(outcome: OperationOutcome): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    ...(outcome.id ? { id: outcome.id } : {}),
    issue: (outcome.issue ?? []).map(({ severity, code, details, expression }) => ({
      severity,
      code,
      ...(details?.text ? { details: { text: details.text } } : {}),
      ...(expression ? { expression } : {}),
    })),
  };
}

function failure(status: number, error: string, upstream: number | string, retryAfter?: number): ForwardResult {
  return { status, body: { error }, upstream, ...(retryAfter ? { retryAfter } : {}) };
}

export async function forwardToMedplum(
  medplum: ServiceClient,
  user: LegacyUser,
  call: UpstreamCall
): Promise<ForwardResult> {
  const asUser = medplum.onBehalfOf(user.medplum.membership);
  try {
    // Separately, so a failed token request (Medplum answers those with 400) is not mistaken for the user's error.
    await medplum.ready();
  } catch {
    return failure(502, 'upstream_unavailable', 'token');
  }
  try {
    const body =
      call.method === 'GET'
        ? await asUser.get(call.path)
        : await asUser.post(call.path, call.body, 'application/fhir+json');
    return { status: call.method === 'POST' ? 201 : 200, body, upstream: call.method === 'POST' ? 201 : 200 };
  } catch (error) {
    if (error instanceof OperationOutcomeError && isOperationOutcome(error.outcome)) {
      const status = getStatus(error.outcome);
      // 401 after the service client's own retry: the proxy's credentials are the problem, not the user's session.
      if (status === 401) return failure(502, 'upstream_unauthorized', status);
      if (status === 429) return failure(503, 'upstream_throttled', status, 30);
      if (status >= 500) return failure(502, 'upstream_error', status);
      // A refused on-behalf-of is a refusal (403) to the user, whichever way this Medplum release words it.
      const refusal = refusalOf(error);
      if (refusal) return { status: 403, body: outcomeBody(error.outcome), upstream: status, refusal };
      return { status, body: outcomeBody(error.outcome), upstream: status };
    }
    return failure(502, 'upstream_unavailable', error instanceof Error ? error.name : 'error');
  }
}

import { getStatus, normalizeOperationOutcome, OperationOutcomeError, unauthorized } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Medplum's PROMPT_BASIC_AUTH_PARAM (packages/server/src/oauth/middleware.ts). */
const PROMPT_BASIC_AUTH_PARAM = '_medplum-prompt-basic-auth';

/** An OperationOutcome with the status Medplum derives from it (`getStatus`: 401/403/404/410/412/429, else 400/500). */
export function sendOutcome(c: Context, outcome: OperationOutcome): Response {
  return c.body(JSON.stringify(outcome), getStatus(outcome) as ContentfulStatusCode, { 'Content-Type': FHIR_JSON });
}

/**
 * 401 `unauthorized` with a `WWW-Authenticate` challenge, as packages/server/src/oauth/middleware.ts
 * (`authenticateRequest`) and its tests ("No auth header", "No auth header with magic param", "Invalid bearer token",
 * "Basic auth empty string" in oauth/middleware.int.test.ts) have it: `Basic realm="<baseUrl>"` when the request used
 * Basic credentials or carries a non-empty `?_medplum-prompt-basic-auth=` (Express reads it truthy, so a bare
 * `?_medplum-prompt-basic-auth` does not count), else `Bearer realm="<baseUrl>"`.
 */
export function sendUnauthorized(c: Context, baseUrl: string): Response {
  const authorization = c.req.header('authorization') ?? '';
  const promptBasic = Boolean(c.req.query(PROMPT_BASIC_AUTH_PARAM));
  const scheme = promptBasic || authorization.startsWith('Basic') ? 'Basic' : 'Bearer';
  c.header('WWW-Authenticate', `${scheme} realm="${baseUrl}"`);
  return sendOutcome(c, unauthorized);
}

/** The global error handler: OperationOutcomeErrors as outcomes, anything else as Medplum's bare 500. */
export function sendError(c: Context, error: unknown, log: (line: string) => void): Response {
  if (error instanceof OperationOutcomeError) return sendOutcome(c, error.outcome);
  const outcome = normalizeOperationOutcome(error);
  if (error instanceof SyntaxError) return sendOutcome(c, outcome);
  log(`Internal error on ${c.req.method} ${new URL(c.req.url).pathname}: ${(error as Error).stack ?? String(error)}`);
  return c.json({ msg: 'Internal Server Error' }, 500);
}

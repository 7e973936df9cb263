import { getStatus, normalizeOperationOutcome, OperationOutcomeError, unauthorized } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** An OperationOutcome with the status Medplum derives from it (`getStatus`: 401/403/404/410/412/429, else 400/500). */
export function sendOutcome(c: Context, outcome: OperationOutcome): Response {
  return c.body(JSON.stringify(outcome), getStatus(outcome) as ContentfulStatusCode, { 'Content-Type': FHIR_JSON });
}

/**
 * 401 `unauthorized` with `WWW-Authenticate: Basic realm="<baseUrl>"` when the request had no credentials or Basic ones,
 * as Medplum's `sendOutcome` does (or whenever `?_medplum-prompt-basic-auth` is set); a rejected Bearer token gets the
 * 401 alone.
 */
export function sendUnauthorized(c: Context, baseUrl: string): Response {
  const authorization = c.req.header('authorization');
  const forcePrompt = c.req.query('_medplum-prompt-basic-auth') !== undefined;
  if (!authorization || authorization.startsWith('Basic ') || forcePrompt) {
    c.header('WWW-Authenticate', `Basic realm="${baseUrl}"`);
  }
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

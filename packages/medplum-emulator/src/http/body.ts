import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { Context } from 'hono';

/**
 * JSON bodies in any of the types the SDK sends: `application/json`, `application/fhir+json` (every /auth/* call from
 * MedplumClient), `application/json-patch+json`. An empty body is `undefined`.
 */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text) return undefined;
  const type = c.req.header('content-type') ?? '';
  if (!/json/i.test(type)) {
    throw new OperationOutcomeError(badRequest(`Unsupported content type ${type || '(none)'}; send JSON`));
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new OperationOutcomeError(badRequest('Request body is not valid JSON'));
  }
}

/** A JSON object body (the /auth/* requests); anything else is an empty object so field validation reports it. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  const body = await readJsonBody(c);
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

export function isFormBody(c: Context): boolean {
  return (c.req.header('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/** Form fields as single strings (the last value wins). */
export async function readForm(c: Context): Promise<Record<string, string>> {
  const params = new URLSearchParams(await c.req.text());
  return Object.fromEntries(params.entries());
}

import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';

export interface FieldProblem {
  /** Unset for a rule over several fields (express-validator's `oneOf`), which Medplum reports without `expression`. */
  field?: string;
  message: string;
}

/** Medplum's `invalidRequest`: one `invalid` issue per field, with the field as `expression`. */
export function invalidRequest(problems: FieldProblem[]): OperationOutcomeError {
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: problems.map(({ field, message }) => ({
      severity: 'error',
      code: 'invalid',
      ...(field ? { expression: [field] } : {}),
      details: { text: message },
    })),
  };
  return new OperationOutcomeError(outcome);
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isEmail(value: unknown): value is string {
  return typeof value === 'string' && EMAIL.test(value);
}

/** `{reference: 'Type/id'}`, of the given type when one is named. */
export function isReference(value: unknown, resourceType?: string): value is { reference: string } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const reference = (value as { reference?: unknown }).reference;
  if (typeof reference !== 'string') return false;
  const [type, id, ...rest] = reference.split('/');
  return Boolean(type && id && rest.length === 0 && (!resourceType || type === resourceType));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return Boolean(value) && typeof value === 'object' && !Array.isArray(value);
}

/** UTF-8 length, as express-validator's isByteLength measures passwords (bcrypt takes at most 72 bytes). */
export function byteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

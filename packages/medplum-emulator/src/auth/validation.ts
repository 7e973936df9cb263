import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';

export interface FieldProblem {
  field: string;
  message: string;
}

/** Medplum's `invalidRequest`: one `invalid` issue per field, with the field as `expression`. */
export function invalidRequest(problems: FieldProblem[]): OperationOutcomeError {
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: problems.map(({ field, message }) => ({
      severity: 'error',
      code: 'invalid',
      expression: [field],
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

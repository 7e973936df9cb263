import { isOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';

/** The OperationOutcome Medplum answered with, when `error` is the SDK's error for one; otherwise undefined. */
export function outcomeOf(error: unknown): OperationOutcome | undefined {
  return error instanceof OperationOutcomeError && isOperationOutcome(error.outcome) ? error.outcome : undefined;
}

/**
 * Medplum's refusal to act as an `X-Medplum-On-Behalf-Of` target on current servers: 400 `invalid`, "Authentication
 * error", the reason in diagnostics (packages/server/src/fhir/onbehalfof.int.test.ts "Forbidden for non-admin").
 */
export const onBehalfOfRefused: OperationOutcome = {
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'invalid', details: { text: 'Authentication error' }, diagnostics: 'Forbidden' }],
};

import { getStatus, isOperationOutcome, OperationOutcomeError } from '@medplum/core';

/**
 * Why Medplum refused a call, told apart the same way on every server release:
 * - `'on-behalf-of'`: Medplum would not act as the `X-Medplum-On-Behalf-Of` target (the caller is not a project
 *   admin, or the target is unknown or in another project). Current servers answer 400 `invalid` with details
 *   "Authentication error" and the reason in diagnostics (packages/server/src/fhir/onbehalfof.int.test.ts "Forbidden
 *   for non-admin"); earlier releases answered 403 `forbidden`, which reads as `'forbidden'` below — either way the
 *   call was refused, never a bad request of the user's.
 * - `'forbidden'`: the access policy that applies refused the call (403).
 * Anything else (a 404, a validation 400, a network error) is not a refusal: undefined.
 */
export type MedplumRefusal = 'on-behalf-of' | 'forbidden';

export function refusalOf(error: unknown): MedplumRefusal | undefined {
  if (!(error instanceof OperationOutcomeError) || !isOperationOutcome(error.outcome)) return undefined;
  const status = getStatus(error.outcome);
  const issue = error.outcome.issue?.[0];
  if (status === 400 && issue?.code === 'invalid' && issue.details?.text === 'Authentication error') {
    return 'on-behalf-of';
  }
  return status === 403 ? 'forbidden' : undefined;
}

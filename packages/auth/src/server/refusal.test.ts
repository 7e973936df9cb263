import { badRequest, forbidden, notFound, OperationOutcomeError } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { refusalOf } from './refusal.ts';

const authenticationError = new OperationOutcomeError({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'invalid', details: { text: 'Authentication error' }, diagnostics: 'Forbidden' }],
});

describe('refusalOf: one reading of Medplum refusals across server releases', () => {
  it('a refused on-behalf-of on current servers (400 invalid "Authentication error")', () => {
    expect(refusalOf(authenticationError)).toBe('on-behalf-of');
  });

  it('a policy refusal, and a refused on-behalf-of on earlier releases (403 forbidden)', () => {
    expect(refusalOf(new OperationOutcomeError(forbidden))).toBe('forbidden');
  });

  it('anything else is no refusal: other 400s, 404s, plain errors', () => {
    expect(refusalOf(new OperationOutcomeError(badRequest('Invalid id')))).toBeUndefined();
    expect(refusalOf(new OperationOutcomeError(notFound))).toBeUndefined();
    expect(refusalOf(new TypeError('fetch failed'))).toBeUndefined();
    expect(refusalOf(undefined)).toBeUndefined();
  });
});

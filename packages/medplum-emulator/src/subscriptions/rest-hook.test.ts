import { createHmac } from 'node:crypto';
import type { Patient, Subscription } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import {
  buildRestHookHeaders,
  getMaxAttempts,
  getSubscriptionSecret,
  isSuccessStatus,
  LEGACY_SUBSCRIPTION_SECRET_URL,
  MAX_ATTEMPTS_URL,
  retryDelayMs,
  SUBSCRIPTION_SECRET_URL,
  SUCCESS_CODES_URL,
} from './rest-hook.ts';

function subscription(extra: Partial<Subscription> = {}): Subscription & { id: string } {
  return {
    resourceType: 'Subscription',
    id: 'sub-1',
    status: 'active',
    reason: 'test',
    criteria: 'Patient',
    channel: { type: 'rest-hook', endpoint: 'http://127.0.0.1/hook' },
    ...extra,
  };
}

const patient: Patient = { resourceType: 'Patient', id: 'p-1' };

describe('buildRestHookHeaders', () => {
  test("Medplum's order, custom headers after the standard ones, signature last", () => {
    const headers = buildRestHookHeaders(
      subscription({
        channel: { type: 'rest-hook', header: ['Authorization: Basic abc', ' X-Extra : 1 '] },
        extension: [{ url: SUBSCRIPTION_SECRET_URL, valueString: 's3cret' }],
      }),
      patient,
      'delete',
      '{}'
    );
    expect(Object.entries(headers)).toEqual([
      ['Content-Type', 'application/fhir+json'],
      ['X-Medplum-Subscription', 'sub-1'],
      ['X-Medplum-Interaction', 'delete'],
      ['X-Medplum-Deleted-Resource', 'Patient/p-1'],
      ['Authorization', 'Basic abc'],
      ['X-Extra', '1'],
      ['X-Signature', createHmac('sha256', 's3cret').update('{}').digest('hex')],
    ]);
  });

  test('a custom header may override a standard one, in its original position', () => {
    const headers = buildRestHookHeaders(
      subscription({ channel: { type: 'rest-hook', header: ['Content-Type: text/plain'] } }),
      patient,
      'create',
      '{}'
    );
    expect(Object.entries(headers)[0]).toEqual(['Content-Type', 'text/plain']);
    expect(headers['X-Medplum-Deleted-Resource']).toBeUndefined();
  });

  test('values containing ":" are cut at the second ":" (Medplum quirk)', () => {
    const headers = buildRestHookHeaders(
      subscription({ channel: { type: 'rest-hook', header: ['Authorization: Bearer a:b:c'] } }),
      patient,
      'update',
      '{}'
    );
    expect(headers.Authorization).toBe('Bearer a');
  });

  test('an entry without ":" fails the attempt, as it does in Medplum', () => {
    expect(() =>
      buildRestHookHeaders(
        subscription({ channel: { type: 'rest-hook', header: ['no-colon'] } }),
        patient,
        'create',
        '{}'
      )
    ).toThrow(/no ":"/);
  });

  test('the signature covers the exact body string, so any change to it changes the signature', () => {
    const sub = subscription({ extension: [{ url: SUBSCRIPTION_SECRET_URL, valueString: 'k' }] });
    const a = buildRestHookHeaders(sub, patient, 'create', '{"resourceType":"Patient","id":"p-1"}');
    const b = buildRestHookHeaders(sub, patient, 'create', '{"resourceType":"Patient", "id":"p-1"}');
    expect(a['X-Signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(a['X-Signature']).not.toBe(b['X-Signature']);
  });
});

describe('getSubscriptionSecret', () => {
  test('reads the www. URL, then the legacy URL; ignores the URL without www.', () => {
    expect(
      getSubscriptionSecret(subscription({ extension: [{ url: SUBSCRIPTION_SECRET_URL, valueString: 'a' }] }))
    ).toBe('a');
    expect(
      getSubscriptionSecret(subscription({ extension: [{ url: LEGACY_SUBSCRIPTION_SECRET_URL, valueString: 'b' }] }))
    ).toBe('b');
    expect(
      getSubscriptionSecret(
        subscription({
          extension: [{ url: 'https://medplum.com/fhir/StructureDefinition/subscription-secret', valueString: 'c' }],
        })
      )
    ).toBeUndefined();
  });
});

describe('isSuccessStatus', () => {
  test('defaults to 200-399', () => {
    const sub = subscription();
    expect([199, 200, 204, 302, 399, 400, 429, 500].map((s) => isSuccessStatus(sub, s))).toEqual([
      false,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  test('honours the success-codes extension, falling back to the default on a malformed list', () => {
    const sub = subscription({ extension: [{ url: SUCCESS_CODES_URL, valueString: '202, 400-404' }] });
    expect([200, 202, 400, 404, 405].map((s) => isSuccessStatus(sub, s))).toEqual([false, true, true, true, false]);
    const malformed = subscription({ extension: [{ url: SUCCESS_CODES_URL, valueString: 'abc' }] });
    expect(isSuccessStatus(malformed, 200)).toBe(true);
    expect(isSuccessStatus(malformed, 500)).toBe(false);
  });
});

describe('attempts and backoff', () => {
  test('max-attempts: retries after the first attempt, default 4, 0 allowed (the dispatcher applies the 19-run cap)', () => {
    expect(getMaxAttempts(subscription())).toBe(4);
    expect(getMaxAttempts(subscription({ extension: [{ url: MAX_ATTEMPTS_URL, valueInteger: 1 }] }))).toBe(1);
    expect(getMaxAttempts(subscription({ extension: [{ url: MAX_ATTEMPTS_URL, valueInteger: 0 }] }))).toBe(0);
    expect(getMaxAttempts(subscription({ extension: [{ url: MAX_ATTEMPTS_URL, valueDecimal: 2.5 }] }))).toBe(4);
  });

  test('exponential backoff from the base delay', () => {
    expect([0, 1, 2, 3].map((attempt) => retryDelayMs(1000, attempt))).toEqual([1000, 2000, 4000, 8000]);
  });
});

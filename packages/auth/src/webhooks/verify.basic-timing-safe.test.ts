import { describe, expect, it } from 'vitest';
import { checkBasicCredentials, signRestHookBody, verifyRestHook } from './verify.ts';

const expected = { username: 'medplum-webhook', password: 'test-webhook-password' };
const encode = (value: string) => `Basic ${Buffer.from(value, 'utf8').toString('base64')}`;

describe('Basic credentials of a rest-hook delivery', () => {
  it('accepts the configured user and password', () => {
    expect(checkBasicCredentials(encode('medplum-webhook:test-webhook-password'), expected)).toBe('ok');
  });

  it('accepts a password that itself contains a colon (split on the first one)', () => {
    expect(checkBasicCredentials(encode('u:p:q'), { username: 'u', password: 'p:q' })).toBe('ok');
  });

  it.each([
    ['wrong password', encode('medplum-webhook:wrong-password')],
    ['wrong user', encode('someone-else:test-webhook-password')],
    ['password prefix', encode('medplum-webhook:test-webhook')],
    ['password with suffix', encode('medplum-webhook:test-webhook-password!')],
    ['empty password', encode('medplum-webhook:')],
    ['no colon', encode('medplum-webhook')],
    ['Bearer scheme', 'Bearer abc.def.ghi'],
    ['not base64', 'Basic ***'],
  ])('refuses %s', (_label, header) => {
    expect(checkBasicCredentials(header, expected)).toBe('bad-credentials');
  });

  it('reports a missing header', () => {
    expect(checkBasicCredentials(undefined, expected)).toBe('missing-credentials');
    expect(checkBasicCredentials('', expected)).toBe('missing-credentials');
  });

  it('is checked before the signature, and a wrong one wins over a valid signature', () => {
    const secret = 'test-webhook-secret-0123456789abcdef';
    const body = '{"resourceType":"ServiceRequest","id":"x"}';
    const result = verifyRestHook(
      body,
      { authorization: encode('medplum-webhook:nope'), 'x-signature': signRestHookBody(body, secret) },
      { basic: expected, secret }
    );
    expect(result).toEqual({ ok: false, status: 401, reason: 'bad-credentials' });
  });
});

import { describe, expect, it } from 'vitest';
import { restHookHeaders } from '../testing/rest-hook.ts';
import { signRestHookBody, verifyRestHook } from './verify.ts';

const secret = 'test-webhook-secret-0123456789abcdef';
const basic = { username: 'medplum-webhook', password: 'test-webhook-password' };
const now = Date.parse('2026-01-01T12:00:00.000Z');

// Deliberately not what JSON.stringify would produce (spacing, key order): the signature covers these exact bytes.
const raw = `{"resourceType":"ServiceRequest", "id":"sr-1","meta":{"versionId":"v1","lastUpdated":"2026-01-01T11:59:00.000Z"},"status":"active"}`;

function headers(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { ...restHookHeaders(raw, { ...basic, secret }), ...extra };
}

const options = { secret, basic, now: () => now };

describe('X-Signature is checked over the raw body bytes', () => {
  it('accepts the exact bytes Medplum signed, even when they are not JSON.stringify output', () => {
    const result = verifyRestHook(new TextEncoder().encode(raw), headers(), options);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.delivery.resource).toMatchObject({ resourceType: 'ServiceRequest', id: 'sr-1' });
    expect(result.delivery.subscriptionId).toBe('sub-1');
    expect(result.delivery.interaction).toBe('create');
  });

  it('refuses a re-serialised body (what verifying a parsed body would do)', () => {
    const reserialised = JSON.stringify(JSON.parse(raw));
    expect(reserialised).not.toBe(raw);
    expect(verifyRestHook(reserialised, headers(), options)).toEqual({
      ok: false,
      status: 401,
      reason: 'bad-signature',
    });
  });

  it('refuses a changed body', () => {
    const changed = raw.replace('"active"', '"revoked"');
    expect(verifyRestHook(changed, headers(), options)).toEqual({ ok: false, status: 401, reason: 'bad-signature' });
  });

  it('refuses a signature made with another secret', () => {
    const wrong = signRestHookBody(raw, 'another-secret-0123456789abcdef0123');
    expect(verifyRestHook(raw, headers({ 'X-Signature': wrong }), options)).toEqual({
      ok: false,
      status: 401,
      reason: 'bad-signature',
    });
  });

  it('refuses a missing signature when a secret is configured', () => {
    expect(verifyRestHook(raw, headers({ 'X-Signature': undefined }), options)).toEqual({
      ok: false,
      status: 401,
      reason: 'missing-signature',
    });
  });

  it('refuses signatures that are not 64 lowercase hex digits (uppercase, truncated, padded)', () => {
    const good = signRestHookBody(raw, secret);
    for (const bad of [good.toUpperCase(), good.slice(0, 63), `${good}00`, `sha256=${good}`, 'zz']) {
      expect(verifyRestHook(raw, headers({ 'X-Signature': bad }), options)).toMatchObject({
        ok: false,
        reason: 'bad-signature',
      });
    }
  });

  it('does not parse an unverified body: garbage with a bad signature is a 401, not a parse error', () => {
    expect(verifyRestHook('{not json', headers(), options)).toEqual({
      ok: false,
      status: 401,
      reason: 'bad-signature',
    });
  });

  it('refuses a verified body that is not a resource', () => {
    const body = '[1,2,3]';
    const result = verifyRestHook(body, headers({ 'X-Signature': signRestHookBody(body, secret) }), options);
    expect(result).toEqual({ ok: false, status: 400, reason: 'invalid-body' });
  });

  it('refuses a verified body that is not JSON', () => {
    const body = 'not json';
    const result = verifyRestHook(body, headers({ 'X-Signature': signRestHookBody(body, secret) }), options);
    expect(result).toEqual({ ok: false, status: 400, reason: 'invalid-body' });
  });

  it('works with a signature only (no Basic configured)', () => {
    const result = verifyRestHook(raw, headers({ Authorization: undefined }), { secret, now: () => now });
    expect(result.ok).toBe(true);
  });

  it('refuses to run with neither credentials nor a secret configured', () => {
    expect(() => verifyRestHook(raw, headers(), {})).toThrow(/Basic credentials, a signing secret/);
    expect(() => verifyRestHook(raw, headers(), { secret: '' })).toThrow();
  });
});

describe('freshness window on meta.lastUpdated', () => {
  function signed(lastUpdated: string | undefined) {
    const body = JSON.stringify({
      resourceType: 'ServiceRequest',
      id: 'sr-2',
      meta: lastUpdated ? { versionId: 'v1', lastUpdated } : { versionId: 'v1' },
    });
    return { body, headers: headers({ 'X-Signature': signRestHookBody(body, secret) }) };
  }

  it('refuses a replay of an old (but correctly signed) delivery', () => {
    const { body, headers: h } = signed('2026-01-01T11:00:00.000Z');
    expect(verifyRestHook(body, h, options)).toEqual({ ok: false, status: 401, reason: 'stale' });
  });

  it('refuses a timestamp too far in the future', () => {
    const { body, headers: h } = signed('2026-01-01T12:05:00.000Z');
    expect(verifyRestHook(body, h, options)).toEqual({ ok: false, status: 401, reason: 'stale' });
  });

  it('refuses a resource without meta.lastUpdated', () => {
    const { body, headers: h } = signed(undefined);
    expect(verifyRestHook(body, h, options)).toEqual({ ok: false, status: 401, reason: 'stale' });
  });

  it('accepts it when the window is turned off', () => {
    const { body, headers: h } = signed('2020-01-01T00:00:00.000Z');
    expect(verifyRestHook(body, h, { ...options, maxAgeMs: 0 }).ok).toBe(true);
  });
});

describe('deletes (body `{}`, same signature for every delete)', () => {
  const body = '{}';
  const h = headers({
    'X-Signature': signRestHookBody(body, secret),
    'X-Medplum-Interaction': 'delete',
    'X-Medplum-Deleted-Resource': 'ServiceRequest/sr-1',
  });

  it('are refused unless accepted explicitly', () => {
    expect(verifyRestHook(body, h, options)).toEqual({ ok: false, status: 400, reason: 'delete-not-accepted' });
  });

  it('are reported with the deleted reference when accepted', () => {
    const result = verifyRestHook(body, h, { ...options, acceptDeletes: true });
    expect(result).toMatchObject({
      ok: true,
      delivery: { interaction: 'delete', resource: undefined, deletedResource: 'ServiceRequest/sr-1' },
    });
  });
});

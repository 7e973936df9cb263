import { badRequest, forbidden, OperationOutcomeError, tooManyRequests } from '@medplum/core';
import type { Bundle } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { createTransport, isRetryableStatus } from './transport.ts';

const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: [] };

/** A fake client whose answers are given per test, plus the status "seen on the wire". */
function transport(options: { ready?: () => Promise<void>; execute: () => Promise<Bundle>; wire?: number }) {
  return createTransport({
    client: { ready: options.ready ?? (async () => {}), executeBatch: options.execute },
    recorder: { last: () => options.wire, reset: () => {} },
  });
}

describe('transport', () => {
  it('counts what Medplum created and what it found already there (conditional create)', async () => {
    const send = transport({
      wire: 200,
      execute: async () => ({
        resourceType: 'Bundle',
        type: 'transaction-response',
        entry: [{ response: { status: '201 Created' } }, { response: { status: '200 OK' } }],
      }),
    });
    expect(await send(bundle)).toEqual({ ok: true, created: 1, existing: 1 });
  });

  it('retries when nothing came back (network) or access could not be had', async () => {
    const unreachable = await transport({ execute: () => Promise.reject(new TypeError('fetch failed')) })(bundle);
    expect(unreachable).toEqual({ ok: false, retryable: true, error: 'Medplum unreachable: fetch failed' });
    const noAccess = await transport({
      ready: () => Promise.reject(new OperationOutcomeError(badRequest('Invalid secret'))),
      execute: async () => bundle,
    })(bundle);
    expect(noAccess).toEqual({ ok: false, retryable: true, error: 'could not obtain access: Invalid secret' });
  });

  it('takes the status from the wire: a 502 with an HTML body is retried, although the SDK calls it a 400', async () => {
    const send = transport({
      wire: 502,
      execute: () => Promise.reject(new OperationOutcomeError(badRequest('<html>'))),
    });
    expect(await send(bundle)).toMatchObject({ ok: false, retryable: true, status: 502 });
  });

  it('sets aside only what Medplum refuses for its content', async () => {
    const refused = transport({ wire: 403, execute: () => Promise.reject(new OperationOutcomeError(forbidden)) });
    expect(await refused(bundle)).toMatchObject({ ok: false, retryable: false, status: 403 });
    const throttled = transport({
      wire: 429,
      execute: () => Promise.reject(new OperationOutcomeError(tooManyRequests)),
    });
    expect(await throttled(bundle)).toMatchObject({ ok: false, retryable: true, status: 429 });
  });

  it('knows which statuses are worth another try', () => {
    expect([401, 408, 425, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 403, 404, 409, 412, 422].some(isRetryableStatus)).toBe(false);
  });
});

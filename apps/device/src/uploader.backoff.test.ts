import type { Bundle } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/config.ts';
import { backoffDelay } from './backoff.ts';
import { openOutbox } from './outbox.ts';
import { createUploader, type SendOutcome, type UploadEvent } from './uploader.ts';

const bundleFor = (n: number): Bundle => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [{ fullUrl: `urn:uuid:${n}`, resource: { resourceType: 'Basic', code: { text: String(n) } } }],
});

function setup(count: number) {
  const outbox = openOutbox(tempDir());
  for (let n = 1; n <= count; n++) {
    outbox.enqueue({ id: `id-${n}`, order: `ServiceRequest/${n}`, bundle: bundleFor(n), summary: '' });
  }
  return outbox;
}

const urls = (bundle: Bundle) => (bundle.entry ?? []).map((e) => e.fullUrl);

describe('backoffDelay', () => {
  it('doubles up to the ceiling, with jitter between half and all of it', () => {
    const opts = { baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, { ...opts, random: () => 0.999999 }))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(3, { ...opts, random: () => 0 })).toBe(200);
  });
});

describe('uploader', () => {
  it('sends several waiting results in one transaction, and one by one with maxBatch 1', async () => {
    for (const [maxBatch, expected] of [
      [20, 1],
      [2, 3],
      [1, 5],
    ] as const) {
      const outbox = setup(5);
      const sent: Bundle[] = [];
      const uploader = createUploader({
        outbox,
        maxBatch,
        lingerMs: 0,
        send: async (bundle) => {
          sent.push(bundle);
          return { ok: true, created: bundle.entry?.length ?? 0, existing: 0 };
        },
      });
      uploader.kick();
      await uploader.whenEmpty();
      expect(sent).toHaveLength(expected);
      expect(sent.flatMap(urls)).toEqual(['urn:uuid:1', 'urn:uuid:2', 'urn:uuid:3', 'urn:uuid:4', 'urn:uuid:5']);
      expect(outbox.counts()).toEqual({ pending: 0, sent: 5, failed: 0 });
      await uploader.stop();
      outbox.close();
    }
  });

  it('keeps results through retryable failures, backing off, and sends each exactly once in the end', async () => {
    const outbox = setup(3);
    const answers: SendOutcome[] = [
      { ok: false, retryable: true, error: 'Medplum unreachable' },
      { ok: false, retryable: true, status: 503, error: '503' },
      { ok: false, retryable: true, status: 429, error: '429' },
    ];
    const events: UploadEvent[] = [];
    let delivered = 0;
    const uploader = createUploader({
      outbox,
      lingerMs: 0,
      backoff: { baseMs: 1, maxMs: 4, random: () => 0.5 },
      onEvent: (event) => events.push(event),
      send: async (bundle) => {
        const answer = answers.shift();
        if (answer) return answer;
        delivered += bundle.entry?.length ?? 0;
        return { ok: true, created: bundle.entry?.length ?? 0, existing: 0 };
      },
    });
    uploader.kick();
    await uploader.whenEmpty();
    expect(delivered).toBe(3);
    expect(events.map((e) => e.type)).toEqual(['retry', 'retry', 'retry', 'sent']);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e.type === 'retry' ? e.attempt : 0))).toEqual([
      1, 2, 3,
    ]);
    expect(outbox.counts()).toEqual({ pending: 0, sent: 3, failed: 0 });
    await uploader.stop();
    outbox.close();
  });

  it('splits a refused batch to find the one bad result, and sets only that one aside', async () => {
    const outbox = setup(4);
    const uploader = createUploader({
      outbox,
      lingerMs: 0,
      send: async (bundle) =>
        urls(bundle).includes('urn:uuid:3')
          ? { ok: false, retryable: false, status: 403, error: '403 Forbidden' }
          : { ok: true, created: 1, existing: 0 },
    });
    uploader.kick();
    await uploader.whenEmpty();
    expect(outbox.counts()).toEqual({ pending: 0, sent: 3, failed: 1 });
    expect(outbox.failed()[0]?.order).toBe('ServiceRequest/3');
    await uploader.stop();
    outbox.close();
  });

  it('treats a thrown error as retryable, never as a reason to drop results', async () => {
    const outbox = setup(1);
    let calls = 0;
    const uploader = createUploader({
      outbox,
      lingerMs: 0,
      backoff: { baseMs: 1, maxMs: 1, random: () => 0 },
      send: async () => {
        calls++;
        if (calls === 1) throw new TypeError('fetch failed');
        return { ok: true, created: 1, existing: 0 };
      },
    });
    uploader.kick();
    await uploader.whenEmpty();
    expect(calls).toBe(2);
    await uploader.stop();
    outbox.close();
  });

  it('survives the outbox itself failing (disk full) and sends again later', async () => {
    const outbox = setup(1);
    const markSent = outbox.markSent.bind(outbox);
    let diskFull = true;
    outbox.markSent = (ids) => {
      if (diskFull) {
        diskFull = false;
        throw new Error('ENOSPC: no space left on device');
      }
      markSent(ids);
    };
    let sends = 0;
    const events: UploadEvent[] = [];
    const uploader = createUploader({
      outbox,
      lingerMs: 0,
      backoff: { baseMs: 1, maxMs: 1, random: () => 0 },
      onEvent: (event) => events.push(event),
      send: async () => {
        sends++;
        return { ok: true, created: 1, existing: 0 };
      },
    });
    uploader.kick();
    await uploader.whenEmpty();
    expect(sends).toBe(2); // sent again: Medplum's conditional creates make the second one harmless
    expect(events.map((e) => e.type)).toEqual(['retry', 'sent']);
    await uploader.stop();
    outbox.close();
  });

  it('stops without losing what is still waiting', async () => {
    const dir = tempDir();
    const outbox = openOutbox(dir);
    outbox.enqueue({ id: 'a', order: 'ServiceRequest/a', bundle: bundleFor(1), summary: '' });
    const uploader = createUploader({
      outbox,
      lingerMs: 0,
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      send: async () => ({ ok: false, retryable: true, error: 'down' }),
    });
    uploader.kick();
    await uploader.idle();
    expect(uploader.state().failures).toBe(1);
    await uploader.stop();
    outbox.close();
    const reopened = openOutbox(dir);
    expect(reopened.pending().map((p) => [p.id, p.attempts])).toEqual([['a', 1]]);
    reopened.close();
  });
});

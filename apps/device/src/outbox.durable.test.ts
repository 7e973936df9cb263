import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { breakLockPath } from '@org/auth/device';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/config.ts';
import { OUTBOX_FILE, OutboxLockedError, openOutbox, readOutbox } from './outbox.ts';

const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: [] };
const item = (n: number) => ({ id: `id-${n}`, order: `ServiceRequest/${n}`, bundle, summary: `order ${n}` });

describe('outbox', () => {
  it('keeps queued results across a crash (reopen without close) until they are marked sent', () => {
    const dir = tempDir();
    const first = openOutbox(dir, { lock: false });
    expect(first.enqueue({ ...item(1), deliveryKey: 'k1' })).toBe(true);
    first.enqueue(item(2));
    first.markSent(['id-1']);
    // No close(): the process "dies" here.
    const second = openOutbox(dir, { lock: false });
    expect(second.pending().map((p) => p.id)).toEqual(['id-2']);
    expect(second.counts()).toEqual({ pending: 1, sent: 1, failed: 0 });
    expect(second.hasOrder('ServiceRequest/1')).toBe(true);
    expect(second.hasDelivery('k1')).toBe(true);
    second.close();
    first.close();
  });

  it('refuses a second set of results for the same order', () => {
    const outbox = openOutbox(tempDir());
    expect(outbox.enqueue(item(1))).toBe(true);
    expect(outbox.enqueue({ ...item(1), id: 'other' })).toBe(false);
    outbox.markSent(['id-1']);
    expect(outbox.enqueue({ ...item(1), id: 'other' })).toBe(false);
    outbox.close();
  });

  it('cuts off a torn last line (a write the crash interrupted) and goes on appending', () => {
    const dir = tempDir();
    const outbox = openOutbox(dir);
    outbox.enqueue(item(1));
    outbox.close();
    appendFileSync(join(dir, OUTBOX_FILE), '{"t":"queued","id":"id-2","ord');
    const reopened = openOutbox(dir);
    expect(reopened.pending().map((p) => p.id)).toEqual(['id-1']);
    reopened.enqueue(item(3));
    reopened.close();
    expect(readOutbox(dir).pending.map((p) => p.id)).toEqual(['id-1', 'id-3']);
  });

  it('refuses a damaged line in the middle instead of guessing', () => {
    const dir = tempDir();
    writeFileSync(join(dir, OUTBOX_FILE), 'not json\n{"t":"sent","ids":[],"at":"x"}\n');
    expect(() => openOutbox(dir)).toThrow(/damaged/);
  });

  it('compacts finished records away but remembers what it has done', () => {
    const dir = tempDir();
    const outbox = openOutbox(dir, { compactAfter: 2 });
    for (const n of [1, 2, 3]) outbox.enqueue({ ...item(n), deliveryKey: `k${n}` });
    outbox.markSent(['id-1']);
    outbox.markFailed('id-2', '403 Forbidden');
    const text = readFileSync(join(dir, OUTBOX_FILE), 'utf8');
    expect(text.split('\n')[0]).toContain('"snapshot"');
    expect(text).not.toContain('"t":"sent"');
    outbox.close();
    const reopened = openOutbox(dir);
    expect(reopened.counts()).toEqual({ pending: 1, sent: 1, failed: 1 });
    expect(reopened.failed()[0]?.reason).toBe('403 Forbidden');
    expect(reopened.hasOrder('ServiceRequest/1') && reopened.hasDelivery('k1')).toBe(true);
    expect(reopened.requeueFailed()).toBe(1);
    expect(
      reopened
        .pending()
        .map((p) => p.id)
        .sort()
    ).toEqual(['id-2', 'id-3']);
    reopened.close();
  });

  it('folds the retry bookkeeping of a long outage into one line per result', () => {
    const dir = tempDir();
    const outbox = openOutbox(dir, { compactAfter: 10 });
    outbox.enqueue(item(1));
    for (let n = 0; n < 25; n++) outbox.recordAttempt('id-1', 'Medplum unreachable', 0);
    const lines = readFileSync(join(dir, OUTBOX_FILE), 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThan(10);
    outbox.close();
    expect(readOutbox(dir).pending[0]).toMatchObject({ id: 'id-1', attempts: 25, lastError: 'Medplum unreachable' });
  });

  it('lets one process at a time write, and takes over the lock of a process that is gone', () => {
    const dir = tempDir();
    const outbox = openOutbox(dir);
    expect(() => openOutbox(dir)).toThrow(OutboxLockedError);
    outbox.close();
    writeFileSync(join(dir, 'outbox.lock'), '999999999');
    openOutbox(dir).close();
    // A lock without a pid (a file system's writes lost in a power cut), and our own pid left by the process before a
    // restart (a container's PID 1): both taken over.
    for (const stale of ['', String(process.pid)]) {
      writeFileSync(join(dir, 'outbox.lock'), stale);
      openOutbox(dir).close();
    }
    // A take-over left half-done by a process that died: one refusal naming the file to remove.
    writeFileSync(join(dir, 'outbox.lock'), '999999999');
    writeFileSync(breakLockPath(join(dir, 'outbox.lock')), '999999999');
    expect(() => openOutbox(dir)).toThrow(OutboxLockedError);
    expect(() => openOutbox(dir)).toThrow(
      `${breakLockPath(join(dir, 'outbox.lock'))} was left by process 999999999, which died`
    );
  });
});

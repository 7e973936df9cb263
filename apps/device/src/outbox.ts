import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { describeHolder, type PidLockAttempt, takePidLock } from '@org/auth/device';
import { replaceFileDurably, syncDirectory } from '@org/runtime';

/**
 * The durable outbox. Results are appended to one JSON-lines file and fsync'ed before anyone may send them; an item
 * leaves the outbox only when a `sent` record for it is on disk, and that record is written only after Medplum
 * confirmed the transaction. A crash at any point therefore leaves each result either waiting (and sent again, which
 * the conditional creates make harmless) or confirmed — never lost.
 *
 * The file is append-only while the device runs. When enough finished records pile up it is compacted: the live
 * state is written to a temporary file, fsync'ed and renamed over the log (atomic on POSIX), then the folder is
 * fsync'ed. A torn last line (crash mid-write) is cut off on open.
 */

export const OUTBOX_FILE = 'outbox.jsonl';
const LOCK_FILE = 'outbox.lock';

export interface OutboxItem {
  /** Stable id of the result (one per order). */
  id: string;
  /** `ServiceRequest/<id>`. */
  order: string;
  /** The webhook delivery that brought the order, if any (for redelivery detection). */
  deliveryKey?: string;
  bundle: Bundle;
  summary: string;
  queuedAt: string;
  attempts: number;
  lastError?: string;
  /** Not before this time (ms since epoch); 0 = now. Memory only: after a restart everything is due at once. */
  nextAttemptAt: number;
}

export interface FailedItem extends OutboxItem {
  reason: string;
  failedAt: string;
}

type LogRecord =
  | {
      t: 'queued';
      id: string;
      order: string;
      key?: string;
      bundle: Bundle;
      summary: string;
      at: string;
    }
  | { t: 'attempt'; id: string; n: number; error: string; at: string }
  | { t: 'sent'; ids: string[]; at: string }
  | { t: 'failed'; id: string; reason: string; at: string }
  | { t: 'requeued'; id: string; at: string }
  | { t: 'snapshot'; sent: number; orders: string[]; keys: string[]; at: string };

export interface OutboxCounts {
  pending: number;
  sent: number;
  failed: number;
}

export interface Outbox {
  readonly file: string;
  /** Appends and fsyncs; false (and nothing written) when the order already has results. */
  enqueue(item: Omit<OutboxItem, 'attempts' | 'nextAttemptAt' | 'queuedAt'> & { queuedAt?: string }): boolean;
  pending(): OutboxItem[];
  failed(): FailedItem[];
  get(id: string): OutboxItem | undefined;
  hasOrder(order: string): boolean;
  hasDelivery(key: string): boolean;
  /** Medplum confirmed these: one `sent` record, fsync'ed. */
  markSent(ids: readonly string[]): void;
  /** A retryable failure: counted, kept. */
  recordAttempt(id: string, error: string, nextAttemptAt: number): void;
  /** A permanent failure (Medplum refused the content): moved aside, kept on disk for a person to look at. */
  markFailed(id: string, reason: string): void;
  /** Puts failed items back in the queue (after the cause was fixed). Returns how many. */
  requeueFailed(): number;
  counts(): OutboxCounts;
  compact(): void;
  close(): void;
}

export interface OpenOutboxOptions {
  now?: () => number;
  /** Compact once this many finished (sent, failed) or superseded (retry) records are in the log. Default 500. */
  compactAfter?: number;
  /** Take the folder's lock (one writer at a time). Default true. */
  lock?: boolean;
}

export class OutboxLockedError extends Error {
  override name = 'OutboxLockedError';
}

function takeLock(dir: string): () => void {
  let lock: PidLockAttempt;
  try {
    // A stale lock from a process that is gone (crash) is taken over.
    lock = takePidLock(join(dir, LOCK_FILE));
  } catch (error) {
    throw new OutboxLockedError((error as Error).message); // a take-over left half-done: one line, the file to remove
  }
  if (lock.taken) return lock.release;
  throw new OutboxLockedError(
    `the outbox in ${dir} is in use by ${describeHolder(lock)} (a running \`device run\`?); stop it first or use another DEVICE_DATA_DIR`
  );
}

interface State {
  pending: Map<string, OutboxItem>;
  failed: Map<string, FailedItem>;
  orders: Set<string>;
  keys: Set<string>;
  sent: number;
  finishedRecords: number;
}

function emptyState(): State {
  return { pending: new Map(), failed: new Map(), orders: new Set(), keys: new Set(), sent: 0, finishedRecords: 0 };
}

function apply(state: State, record: LogRecord): void {
  switch (record.t) {
    case 'snapshot':
      state.sent += record.sent;
      for (const order of record.orders) state.orders.add(order);
      for (const key of record.keys) state.keys.add(key);
      break;
    case 'queued':
      state.orders.add(record.order);
      if (record.key) state.keys.add(record.key);
      state.pending.set(record.id, {
        id: record.id,
        order: record.order,
        ...(record.key ? { deliveryKey: record.key } : {}),
        bundle: record.bundle,
        summary: record.summary,
        queuedAt: record.at,
        attempts: 0,
        nextAttemptAt: 0,
      });
      break;
    case 'attempt': {
      const item = state.pending.get(record.id);
      if (item) {
        item.attempts = Math.max(item.attempts, record.n);
        item.lastError = record.error;
      }
      // A long outage writes one of these per result per retry; compaction folds them into one line each.
      state.finishedRecords++;
      break;
    }
    case 'sent':
      for (const id of record.ids) {
        if (state.pending.delete(id)) state.sent++;
      }
      state.finishedRecords++;
      break;
    case 'failed':
      move(state.pending, state.failed, record.id, (item) => ({ ...item, reason: record.reason, failedAt: record.at }));
      state.finishedRecords++;
      break;
    case 'requeued':
      move(state.failed, state.pending, record.id, ({ reason: _reason, failedAt: _failedAt, ...rest }) => ({
        ...rest,
        nextAttemptAt: 0,
      }));
      break;
  }
}

/** Moves the item `id`, if there, from one map to the other, as `change` makes it. */
function move<From, To>(from: Map<string, From>, to: Map<string, To>, id: string, change: (item: From) => To): void {
  const item = from.get(id);
  if (!item) return;
  from.delete(id);
  to.set(id, change(item));
}

/** Reads the log; a torn (unparseable) last line is reported so the writer can cut it off. */
function replay(file: string): { state: State; validBytes: number; totalBytes: number } {
  const state = emptyState();
  if (!existsSync(file)) return { state, validBytes: 0, totalBytes: 0 };
  const buffer = readFileSync(file);
  let offset = 0;
  let validBytes = 0;
  while (offset < buffer.length) {
    const newline = buffer.indexOf(0x0a, offset);
    const end = newline < 0 ? buffer.length : newline;
    const line = buffer.subarray(offset, end).toString('utf8').trim();
    const next = newline < 0 ? buffer.length : newline + 1;
    if (line) {
      let record: LogRecord;
      try {
        if (newline < 0) throw new Error('no newline: the write was cut short');
        record = JSON.parse(line) as LogRecord;
      } catch (error) {
        if (next >= buffer.length) break; // torn tail: ignore it, it was never acknowledged
        throw new Error(`outbox ${file} is damaged at byte ${offset}: ${(error as Error).message}`);
      }
      apply(state, record);
    }
    offset = next;
    validBytes = next;
  }
  return { state, validBytes, totalBytes: buffer.length };
}

/** Read-only view for `device status` (no lock, no repair). */
export function readOutbox(dir: string): { counts: OutboxCounts; pending: OutboxItem[]; failed: FailedItem[] } {
  const { state } = replay(join(dir, OUTBOX_FILE));
  return {
    counts: { pending: state.pending.size, sent: state.sent, failed: state.failed.size },
    pending: [...state.pending.values()],
    failed: [...state.failed.values()],
  };
}

/** The record that puts an item in the outbox: written on enqueue, and again by compaction. */
function queuedRecord(
  item: Pick<OutboxItem, 'id' | 'order' | 'deliveryKey' | 'bundle' | 'summary'>,
  queuedAt: string
): LogRecord {
  return {
    t: 'queued',
    id: item.id,
    order: item.order,
    ...(item.deliveryKey ? { key: item.deliveryKey } : {}),
    bundle: item.bundle,
    summary: item.summary,
    at: queuedAt,
  };
}

/** Replays the journal, cuts a torn last line off, and opens it for appending; releases the lock if that fails. */
function openJournal(dir: string, file: string, release: () => void): { state: State; fd: number } {
  try {
    const replayed = replay(file);
    const existed = existsSync(file);
    const fd = openSync(file, 'a');
    if (replayed.validBytes < replayed.totalBytes) {
      ftruncateSync(fd, replayed.validBytes);
      fsyncSync(fd);
    }
    if (!existed) syncDirectory(dir);
    return { state: replayed.state, fd };
  } catch (error) {
    release();
    throw error;
  }
}

/** The journal rewritten as the least that gives the same state: a snapshot, then what is still pending or failed. */
function compactedRecords(state: State, at: string): LogRecord[] {
  const lines: LogRecord[] = [
    { t: 'snapshot', sent: state.sent, orders: [...state.orders], keys: [...state.keys], at },
  ];
  const items: (OutboxItem | FailedItem)[] = [...state.pending.values(), ...state.failed.values()];
  for (const item of items) {
    lines.push(queuedRecord(item, item.queuedAt));
    if (item.attempts > 0) {
      lines.push({ t: 'attempt', id: item.id, n: item.attempts, error: item.lastError ?? '', at });
    }
    const failed = state.failed.get(item.id);
    if (failed) lines.push({ t: 'failed', id: item.id, reason: failed.reason, at: failed.failedAt });
  }
  return lines;
}

export function openOutbox(dir: string, options: OpenOutboxOptions = {}): Outbox {
  const now = options.now ?? Date.now;
  const compactAfter = options.compactAfter ?? 500;
  mkdirSync(dir, { recursive: true });
  const release = options.lock === false ? () => {} : takeLock(dir);
  const file = join(dir, OUTBOX_FILE);
  let { state, fd } = openJournal(dir, file, release);

  const at = () => new Date(now()).toISOString();
  let closed = false;
  function append(record: LogRecord, durable: boolean): void {
    // After close (shutdown with a request still in flight) nothing more is recorded: what was not marked sent is
    // sent again on the next start, which the conditional creates make harmless.
    if (closed) throw new Error('outbox is closed');
    writeSync(fd, `${JSON.stringify(record)}\n`);
    if (durable) fsyncSync(fd);
  }

  function compact(): void {
    closeSync(fd);
    replaceFileDurably(
      file,
      compactedRecords(state, at()).map((record) => JSON.stringify(record))
    );
    fd = openSync(file, 'a');
    state.finishedRecords = 0;
  }

  if (state.finishedRecords > 0) compact();

  function maybeCompact(): void {
    if (state.finishedRecords >= compactAfter) compact();
  }

  return {
    file,
    enqueue(item) {
      if (state.orders.has(item.order) || state.pending.has(item.id) || state.failed.has(item.id)) return false;
      const record = queuedRecord(item, item.queuedAt ?? at());
      append(record, true);
      apply(state, record);
      return true;
    },
    pending: () => [...state.pending.values()],
    failed: () => [...state.failed.values()],
    get: (id) => state.pending.get(id),
    hasOrder: (order) => state.orders.has(order),
    hasDelivery: (key) => state.keys.has(key),
    markSent(ids) {
      if (closed) return;
      const live = ids.filter((id) => state.pending.has(id));
      if (live.length === 0) return;
      const record: LogRecord = { t: 'sent', ids: live, at: at() };
      append(record, true);
      apply(state, record);
      maybeCompact();
    },
    recordAttempt(id, error, nextAttemptAt) {
      if (closed) return;
      const item = state.pending.get(id);
      if (!item) return;
      const record: LogRecord = { t: 'attempt', id, n: item.attempts + 1, error, at: at() };
      // Bookkeeping only: losing it in a crash loses a counter, not a result.
      append(record, false);
      apply(state, record);
      item.nextAttemptAt = nextAttemptAt;
      maybeCompact();
    },
    markFailed(id, reason) {
      if (closed) return;
      if (!state.pending.has(id)) return;
      const record: LogRecord = { t: 'failed', id, reason, at: at() };
      append(record, true);
      apply(state, record);
      maybeCompact();
    },
    requeueFailed() {
      const ids = [...state.failed.keys()];
      for (const id of ids) {
        const record: LogRecord = { t: 'requeued', id, at: at() };
        append(record, false);
        apply(state, record);
      }
      if (ids.length > 0) fsyncSync(fd);
      return ids.length;
    },
    counts: () => ({ pending: state.pending.size, sent: state.sent, failed: state.failed.size }),
    compact,
    close() {
      if (closed) return;
      closed = true;
      try {
        closeSync(fd);
      } finally {
        release();
      }
    },
  };
}

import type { Bundle } from '@medplum/fhirtypes';
import { mergeTransactions } from './analyzer.ts';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import type { Outbox, OutboxItem } from './outbox.ts';

/** What one attempt to hand a transaction to Medplum came to. */
export type SendOutcome =
  | { ok: true; created: number; existing: number }
  | {
      ok: false;
      /** Medplum was unreachable, busy (429) or broken (5xx), or access could not be obtained: try again later. */
      retryable: boolean;
      status?: number;
      error: string;
    };

export type SendTransaction = (bundle: Bundle) => Promise<SendOutcome>;

export type UploadEvent =
  | { type: 'sent'; items: OutboxItem[]; created: number; existing: number; ms: number }
  | { type: 'retry'; items: OutboxItem[]; error: string; status?: number; attempt: number; delayMs: number }
  | { type: 'split'; items: OutboxItem[]; error: string; status?: number }
  | { type: 'failed'; item: OutboxItem; error: string; status?: number };

export interface UploaderOptions {
  outbox: Outbox;
  send: SendTransaction;
  /** Most results (orders) per transaction. Default 20; 1 = one by one. */
  maxBatch?: number;
  /** Wait this long after new work arrives so that several results go together. Default 20 ms. */
  lingerMs?: number;
  backoff?: BackoffOptions;
  onEvent?: (event: UploadEvent) => void;
  now?: () => number;
}

export interface UploaderState {
  running: boolean;
  /** Consecutive retryable failures (0 when Medplum last answered). */
  failures: number;
  /** When the next attempt is allowed after a failure (ms since epoch), or 0. */
  pausedUntil: number;
}

export interface Uploader {
  /** New work is waiting. */
  kick(): void;
  /** Resolves when the outbox is empty (everything confirmed or moved aside as failed). */
  whenEmpty(): Promise<void>;
  /** Resolves when no attempt is in flight and none is due right now (waiting for a back-off timer counts). */
  idle(): Promise<void>;
  state(): UploaderState;
  /** Stops scheduling; waits (up to `graceMs`, default 5 s) for an attempt in flight. Unsent results stay in the outbox. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Drains the outbox: one transaction at a time, several results per transaction when several wait (batching).
 * Retryable failures pause the whole uploader with exponential back-off and jitter (an outage affects every result
 * alike). A batch Medplum refuses is split so one bad result cannot hold back the others; a single refused result
 * is moved aside (kept on disk) instead of being retried forever.
 */
export function createUploader(options: UploaderOptions): Uploader {
  const { outbox, send } = options;
  const maxBatch = Math.max(1, options.maxBatch ?? 20);
  const linger = options.lingerMs ?? 20;
  const now = options.now ?? Date.now;
  const emit = options.onEvent ?? (() => {});

  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = 0;
  let failures = 0;
  let pausedUntil = 0;
  const isolated = new Set<string>();
  let waiters: (() => void)[] = [];

  function notify(): void {
    const current = waiters;
    waiters = [];
    for (const waiter of current) waiter();
  }

  function schedule(delay: number): void {
    if (stopped) return;
    const at = now() + Math.max(0, delay);
    if (timer && timerAt <= at) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        timer = undefined;
        start();
      },
      Math.max(0, delay)
    );
  }

  function start(): void {
    if (stopped || running) return;
    running = loop()
      .catch((error: unknown) => {
        // The outbox itself failed (disk full, folder gone): nothing was lost that is not on disk; try again later.
        failures++;
        const delayMs = backoffDelay(failures, options.backoff);
        pausedUntil = now() + delayMs;
        emit({ type: 'retry', items: [], error: `outbox: ${(error as Error).message}`, attempt: failures, delayMs });
      })
      .finally(() => {
        running = undefined;
        // Work that arrived while the loop was finishing (its kick saw it still running) must not wait for the next one.
        const t = now();
        if (!stopped && outbox.pending().length > 0) {
          if (pausedUntil > t) schedule(pausedUntil - t);
          else if (outbox.pending().some((item) => item.nextAttemptAt <= t)) schedule(0);
        }
        notify();
      });
  }

  function pickBatch(due: OutboxItem[]): OutboxItem[] {
    const single = due.find((item) => isolated.has(item.id));
    if (single) return [single];
    return due.filter((item) => !isolated.has(item.id)).slice(0, maxBatch);
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      const t = now();
      if (pausedUntil > t) {
        schedule(pausedUntil - t);
        return;
      }
      const all = outbox.pending();
      if (all.length === 0) return;
      const due = all.filter((item) => item.nextAttemptAt <= t);
      if (due.length === 0) {
        schedule(Math.min(...all.map((item) => item.nextAttemptAt)) - t);
        return;
      }
      const batch = pickBatch(due);
      const bundle = batch.length === 1 && batch[0] ? batch[0].bundle : mergeTransactions(batch.map((i) => i.bundle));
      const started = now();
      let outcome: SendOutcome;
      try {
        outcome = await send(bundle);
      } catch (error) {
        outcome = { ok: false, retryable: true, error: (error as Error).message || String(error) };
      }
      const ids = batch.map((item) => item.id);
      if (outcome.ok) {
        failures = 0;
        outbox.markSent(ids);
        for (const id of ids) isolated.delete(id);
        emit({ type: 'sent', items: batch, created: outcome.created, existing: outcome.existing, ms: now() - started });
      } else if (outcome.retryable) {
        failures++;
        const delayMs = backoffDelay(failures, options.backoff);
        pausedUntil = now() + delayMs;
        for (const id of ids) outbox.recordAttempt(id, outcome.error, pausedUntil);
        emit({
          type: 'retry',
          items: batch,
          error: outcome.error,
          ...(outcome.status ? { status: outcome.status } : {}),
          attempt: failures,
          delayMs,
        });
      } else if (batch.length > 1) {
        failures = 0;
        for (const id of ids) isolated.add(id);
        emit({
          type: 'split',
          items: batch,
          error: outcome.error,
          ...(outcome.status ? { status: outcome.status } : {}),
        });
      } else {
        failures = 0;
        const [item] = batch;
        if (item) {
          outbox.markFailed(item.id, outcome.error);
          isolated.delete(item.id);
          emit({ type: 'failed', item, error: outcome.error, ...(outcome.status ? { status: outcome.status } : {}) });
        }
      }
      notify();
    }
  }

  function isIdle(): boolean {
    if (running) return false;
    const t = now();
    if (pausedUntil > t) return true;
    return !outbox.pending().some((item) => item.nextAttemptAt <= t) || stopped;
  }

  return {
    kick() {
      if (stopped || running) return;
      if (pausedUntil > now()) return; // Medplum is away; the back-off timer will come back for it
      schedule(linger);
    },
    whenEmpty() {
      return new Promise<void>((resolve) => {
        const check = () => {
          if (outbox.pending().length === 0) resolve();
          else waiters.push(check);
        };
        check();
      });
    },
    idle() {
      return new Promise<void>((resolve) => {
        const check = () => {
          if (isIdle() && !timerDueNow()) resolve();
          else waiters.push(check);
        };
        check();
      });
    },
    state: () => ({ running: running !== undefined, failures, pausedUntil }),
    async stop(graceMs = 5_000) {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (running) {
        let grace: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([running, new Promise<void>((resolve) => (grace = setTimeout(resolve, graceMs)))]);
        clearTimeout(grace);
      }
      notify();
    },
  };

  function timerDueNow(): boolean {
    // A linger timer for fresh work counts as busy; a back-off timer does not.
    return timer !== undefined && pausedUntil <= now() && outbox.pending().some((item) => item.nextAttemptAt <= now());
  }
}

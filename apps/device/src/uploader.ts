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

export function createUploader(options: UploaderOptions): Uploader {
  return new OutboxUploader(options);
}

/**
 * Drains the outbox: one transaction at a time, several results per transaction when several wait (batching).
 * Retryable failures pause the whole uploader with exponential back-off and jitter (an outage affects every result
 * alike). A batch Medplum refuses is split so one bad result cannot hold back the others; a single refused result
 * is moved aside (kept on disk) instead of being retried forever.
 */
class OutboxUploader implements Uploader {
  private readonly outbox: Outbox;
  private readonly send: SendTransaction;
  private readonly maxBatch: number;
  private readonly linger: number;
  private readonly now: () => number;
  private readonly emit: (event: UploadEvent) => void;
  private readonly backoff: BackoffOptions | undefined;

  private stopped = false;
  private running: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = 0;
  private failures = 0;
  private pausedUntil = 0;
  /** Results of a refused batch, now sent one by one to find the one Medplum refuses. */
  private readonly isolated = new Set<string>();
  private waiters: (() => void)[] = [];

  constructor(options: UploaderOptions) {
    this.outbox = options.outbox;
    this.send = options.send;
    this.maxBatch = Math.max(1, options.maxBatch ?? 20);
    this.linger = options.lingerMs ?? 20;
    this.now = options.now ?? Date.now;
    this.emit = options.onEvent ?? (() => {});
    this.backoff = options.backoff;
  }

  kick(): void {
    if (this.stopped || this.running) return;
    if (this.pausedUntil > this.now()) return; // Medplum is away; the back-off timer will come back for it
    this.schedule(this.linger);
  }

  whenEmpty(): Promise<void> {
    return this.waitFor(() => this.outbox.pending().length === 0);
  }

  idle(): Promise<void> {
    return this.waitFor(() => this.isIdle() && !this.timerDueNow());
  }

  state(): UploaderState {
    return { running: this.running !== undefined, failures: this.failures, pausedUntil: this.pausedUntil };
  }

  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) {
      let grace: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.running, new Promise<void>((resolve) => (grace = setTimeout(resolve, graceMs)))]);
      clearTimeout(grace);
    }
    this.notify();
  }

  private waitFor(condition: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const check = () => {
        if (condition()) resolve();
        else this.waiters.push(check);
      };
      check();
    });
  }

  private notify(): void {
    const current = this.waiters;
    this.waiters = [];
    for (const waiter of current) waiter();
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    const at = this.now() + Math.max(0, delay);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.start();
      },
      Math.max(0, delay)
    );
  }

  private start(): void {
    if (this.stopped || this.running) return;
    this.running = this.loop()
      .catch((error: unknown) => {
        // The outbox itself failed (disk full, folder gone): nothing was lost that is not on disk; try again later.
        const delayMs = this.pause();
        this.emit({
          type: 'retry',
          items: [],
          error: `outbox: ${(error as Error).message}`,
          attempt: this.failures,
          delayMs,
        });
      })
      .finally(() => {
        this.running = undefined;
        // Work that arrived while the loop was finishing (its kick saw it still running) must not wait for the next one.
        const t = this.now();
        if (!this.stopped && this.outbox.pending().length > 0) {
          if (this.pausedUntil > t) this.schedule(this.pausedUntil - t);
          else if (this.outbox.pending().some((item) => item.nextAttemptAt <= t)) this.schedule(0);
        }
        this.notify();
      });
  }

  /** One more retryable failure: pause everything for the back-off delay, which it returns. */
  private pause(): number {
    this.failures++;
    const delayMs = backoffDelay(this.failures, this.backoff);
    this.pausedUntil = this.now() + delayMs;
    return delayMs;
  }

  private pickBatch(due: OutboxItem[]): OutboxItem[] {
    const single = due.find((item) => this.isolated.has(item.id));
    if (single) return [single];
    return due.filter((item) => !this.isolated.has(item.id)).slice(0, this.maxBatch);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const t = this.now();
      if (this.pausedUntil > t) {
        this.schedule(this.pausedUntil - t);
        return;
      }
      const all = this.outbox.pending();
      if (all.length === 0) return;
      const due = all.filter((item) => item.nextAttemptAt <= t);
      if (due.length === 0) {
        this.schedule(Math.min(...all.map((item) => item.nextAttemptAt)) - t);
        return;
      }
      const batch = this.pickBatch(due);
      const bundle = batch.length === 1 && batch[0] ? batch[0].bundle : mergeTransactions(batch.map((i) => i.bundle));
      const started = this.now();
      let outcome: SendOutcome;
      try {
        outcome = await this.send(bundle);
      } catch (error) {
        outcome = { ok: false, retryable: true, error: (error as Error).message || String(error) };
      }
      this.settle(batch, outcome, started);
      this.notify();
    }
  }

  /** Records what Medplum answered: sent, retry later (everything waits), split the batch, or move the one result aside. */
  private settle(batch: OutboxItem[], outcome: SendOutcome, started: number): void {
    const ids = batch.map((item) => item.id);
    if (outcome.ok) {
      this.failures = 0;
      this.outbox.markSent(ids);
      for (const id of ids) this.isolated.delete(id);
      this.emit({
        type: 'sent',
        items: batch,
        created: outcome.created,
        existing: outcome.existing,
        ms: this.now() - started,
      });
      return;
    }
    const status = outcome.status ? { status: outcome.status } : {};
    if (outcome.retryable) {
      const delayMs = this.pause();
      for (const id of ids) this.outbox.recordAttempt(id, outcome.error, this.pausedUntil);
      this.emit({ type: 'retry', items: batch, error: outcome.error, ...status, attempt: this.failures, delayMs });
      return;
    }
    this.failures = 0;
    if (batch.length > 1) {
      for (const id of ids) this.isolated.add(id);
      this.emit({ type: 'split', items: batch, error: outcome.error, ...status });
      return;
    }
    const [item] = batch;
    if (item) {
      this.outbox.markFailed(item.id, outcome.error);
      this.isolated.delete(item.id);
      this.emit({ type: 'failed', item, error: outcome.error, ...status });
    }
  }

  private isIdle(): boolean {
    if (this.running) return false;
    const t = this.now();
    if (this.pausedUntil > t) return true;
    return !this.outbox.pending().some((item) => item.nextAttemptAt <= t) || this.stopped;
  }

  private timerDueNow(): boolean {
    // A linger timer for fresh work counts as busy; a back-off timer does not.
    const t = this.now();
    return (
      this.timer !== undefined && this.pausedUntil <= t && this.outbox.pending().some((item) => item.nextAttemptAt <= t)
    );
  }
}

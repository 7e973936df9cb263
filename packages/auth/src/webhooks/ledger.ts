import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Recognises redelivered rest-hooks. A key is remembered only once its handler succeeded (`commit`), so a delivery
 * whose first attempt failed is run again when Medplum retries it; a retry that arrives while the first attempt is
 * still running is told so (`in-flight`) instead of being run twice.
 */
export interface DeliveryLedger {
  begin(key: string): 'new' | 'duplicate' | 'in-flight';
  commit(key: string): void;
  abort(key: string): void;
}

/** In-memory ledger bounded to `max` remembered keys (oldest forgotten first). Apps that must survive restarts persist their own. */
export function createMemoryDeliveryLedger(max = 10_000): DeliveryLedger {
  const done = new Set<string>();
  const running = new Set<string>();
  return {
    begin(key) {
      if (done.has(key)) return 'duplicate';
      if (running.has(key)) return 'in-flight';
      running.add(key);
      return 'new';
    },
    commit(key) {
      running.delete(key);
      done.add(key);
      while (done.size > max) {
        const oldest = done.values().next().value;
        if (oldest === undefined) break;
        done.delete(oldest);
      }
    },
    abort(key) {
      running.delete(key);
    },
  };
}

/**
 * A ledger that survives restarts: committed keys are appended to `file` (one per line, written before `commit`
 * returns) and read back on creation. Only the newest `max` keys are kept in memory; the file is compacted to them
 * when it grows past twice that.
 */
export function createFileDeliveryLedger(file: string, max = 10_000): DeliveryLedger {
  const memory = createMemoryDeliveryLedger(max);
  let lines = 0;
  if (existsSync(file)) {
    for (const key of readFileSync(file, 'utf8').split('\n')) {
      if (!key) continue;
      memory.begin(key);
      memory.commit(key);
      lines++;
    }
  } else {
    mkdirSync(dirname(file), { recursive: true });
  }
  return {
    begin: (key) => memory.begin(key),
    abort: (key) => memory.abort(key),
    commit(key) {
      if (/[\r\n]/.test(key)) throw new Error('delivery keys cannot contain line breaks');
      appendFileSync(file, `${key}\n`, { mode: 0o600 });
      memory.commit(key);
      lines++;
      if (lines > 2 * max) {
        const keep = readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-max);
        const temp = `${file}.tmp`;
        writeFileSync(temp, `${keep.join('\n')}\n`, { mode: 0o600 });
        renameSync(temp, file);
        lines = keep.length;
      }
    },
  };
}

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

/**
 * In-memory ledger bounded to `max` remembered keys (oldest forgotten first). An app that must recognise redeliveries
 * across restarts wraps it over its own durable store (apps/device answers `duplicate` for deliveries in its outbox).
 */
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

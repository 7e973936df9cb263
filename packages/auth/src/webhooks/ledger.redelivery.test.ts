import { describe, expect, it } from 'vitest';
import { createMemoryDeliveryLedger } from './ledger.ts';

describe('delivery ledger', () => {
  it('new, in-flight, duplicate; abort forgets', () => {
    const ledger = createMemoryDeliveryLedger();
    expect(ledger.begin('a')).toBe('new');
    expect(ledger.begin('a')).toBe('in-flight');
    ledger.abort('a');
    expect(ledger.begin('a')).toBe('new');
    ledger.commit('a');
    expect(ledger.begin('a')).toBe('duplicate');
  });

  it('forgets the oldest keys beyond its bound', () => {
    const ledger = createMemoryDeliveryLedger(2);
    for (const key of ['a', 'b', 'c']) {
      ledger.begin(key);
      ledger.commit(key);
    }
    expect(ledger.begin('a')).toBe('new');
    expect(ledger.begin('c')).toBe('duplicate');
  });
});

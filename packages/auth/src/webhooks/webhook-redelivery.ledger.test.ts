import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileDeliveryLedger, createMemoryDeliveryLedger } from './ledger.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ledger-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

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

  it('the file ledger remembers handled deliveries across a restart', () => {
    const file = join(dir, 'inbox', 'delivered.log');
    const first = createFileDeliveryLedger(file);
    first.begin('sub|ServiceRequest/1|v1');
    first.commit('sub|ServiceRequest/1|v1');
    first.begin('sub|ServiceRequest/2|v1');
    first.abort('sub|ServiceRequest/2|v1');
    const restarted = createFileDeliveryLedger(file);
    expect(restarted.begin('sub|ServiceRequest/1|v1')).toBe('duplicate');
    expect(restarted.begin('sub|ServiceRequest/2|v1')).toBe('new');
  });

  it('compacts its file to the newest keys', async () => {
    const file = join(dir, 'delivered.log');
    const ledger = createFileDeliveryLedger(file, 3);
    for (let i = 0; i < 10; i++) {
      ledger.begin(`k${i}`);
      ledger.commit(`k${i}`);
    }
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines.at(-1)).toBe('k9');
    expect(createFileDeliveryLedger(file, 3).begin('k9')).toBe('duplicate');
  });

  it('refuses keys with line breaks', () => {
    const ledger = createFileDeliveryLedger(join(dir, 'x.log'));
    ledger.begin('a\nb');
    expect(() => ledger.commit('a\nb')).toThrow(/line breaks/);
  });
});

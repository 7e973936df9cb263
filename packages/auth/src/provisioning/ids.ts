import { createHash } from 'node:crypto';

/**
 * Deterministic ids for the seed: name-based UUIDs (RFC 9562 version 5, SHA-1) in a namespace of our own, so every
 * run, every helper and every test agrees on them, and a real Medplum (which only accepts UUID ids) would accept them.
 * `SEED_IDS` in `@org/auth/ids` holds them written out; ids.test.ts checks them against this function.
 */
const NAMESPACE = Buffer.from('6f1d2c3b-9a84-4e57-8b0c-5d2f7e1a9c40'.replaceAll('-', ''), 'hex');

export function nameUuid(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

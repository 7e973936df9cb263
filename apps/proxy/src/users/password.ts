/**
 * Password hashing for the legacy app's own users: scrypt from node:crypto (a memory-hard KDF), a random 16-byte
 * salt per hash, parameters stored with the hash so the cost can be raised later, timing-safe comparison.
 *
 * Format: `scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>`.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key)
    );
  });
}

function scryptOptions(N: number, r: number, p: number): ScryptOptions {
  // Node refuses work above `maxmem` (32 MiB by default); N = 2^15, r = 8 needs 32 MiB plus a little.
  return { N, r, p, maxmem: 128 * N * r * 2 };
}

export async function hashPassword(password: string, cost = 2 ** 15): Promise<string> {
  const [r, p] = [8, 1];
  const salt = randomBytes(16);
  const key = await derive(password, salt, scryptOptions(cost, r, p));
  return ['scrypt', cost, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !N || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), scryptOptions(Number(N), Number(r), Number(p)));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

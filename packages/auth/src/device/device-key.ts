import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { ClientAssertionAlgorithm, ClientAssertionKey } from '../server/client-assertion.ts';

export const DEVICE_KEY_FILE = 'device-key.json';

export interface DeviceKey extends ClientAssertionKey {
  privateKey: CryptoKey;
  /** The public half as published (kid, alg, use). */
  publicJwk: JWK;
  /** The JWKS document to serve at the URL named by ClientApplication.jwksUri. */
  jwks: { keys: JWK[] };
  /** Where the private key lives. */
  file: string;
  /** True when this call generated the key (first start). */
  created: boolean;
}

interface StoredKey {
  alg: ClientAssertionAlgorithm;
  kid: string;
  privateJwk: JWK;
}

function publicPart(jwk: JWK, kid: string, alg: string): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...pub } = jwk;
  return { ...pub, kid, alg, use: 'sig' };
}

async function load(file: string): Promise<StoredKey | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as StoredKey;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function toDeviceKey(stored: StoredKey, file: string, created: boolean): Promise<DeviceKey> {
  const privateKey = (await importJWK(stored.privateJwk, stored.alg)) as CryptoKey;
  const publicJwk = publicPart(stored.privateJwk, stored.kid, stored.alg);
  return { privateKey, alg: stored.alg, kid: stored.kid, publicJwk, jwks: { keys: [publicJwk] }, file, created };
}

/**
 * The device's signing key: generated once into `<dataDir>/device-key.json` (mode 0600), then reused on every
 * start, so the JWKS Medplum fetches stays the same. Only the public half ever leaves the file.
 */
export async function loadOrCreateDeviceKey(
  dataDir: string,
  options: { alg?: ClientAssertionAlgorithm } = {}
): Promise<DeviceKey> {
  const file = join(dataDir, DEVICE_KEY_FILE);
  const existing = await load(file);
  if (existing) return toDeviceKey(existing, file, false);

  const alg = options.alg ?? 'ES256';
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(privateJwk);
  const stored: StoredKey = { alg, kid, privateJwk };
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    // link() refuses to replace an existing file: if another process created the key meanwhile, theirs wins.
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await load(file);
    if (!winner) throw error;
    return toDeviceKey(winner, file, false);
  } finally {
    await unlink(temp);
  }
  return toDeviceKey(stored, file, true);
}

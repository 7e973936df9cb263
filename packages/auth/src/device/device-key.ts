import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { ClientAssertionAlgorithm, ClientAssertionKey } from '../server/client-assertion.ts';
import { describeHolder, type PidLockAttempt, takePidLock } from './pid-lock.ts';

export const DEVICE_KEY_FILE = 'device-key.json';

/** The JWKS document served at the URL named by ClientApplication.jwksUri: public halves only. */
export interface DeviceJwks {
  keys: JWK[];
}

export interface DeviceKey extends ClientAssertionKey {
  privateKey: CryptoKey;
  /** The public half of the signing key as published (kid, alg, use). */
  publicJwk: JWK;
  /** The JWKS to serve: the signing key, then, during a rotation, the previous key. */
  jwks: DeviceJwks;
  /** The previous key's kid while a rotation is under way (published, no longer used to sign). */
  previousKid?: string;
  /** Where the private key lives. */
  file: string;
  /** True when this call generated the key (first start). */
  created: boolean;
}

/** A key the device signs with. */
interface SigningKey {
  alg: ClientAssertionAlgorithm;
  kid: string;
  privateJwk: JWK;
}

/**
 * The file: the signing key at the top (the layout of the one-key file written before rotation existed, so that file
 * is read as it is, and a build that predates rotation still signs with the current key), plus during a rotation the
 * previous key's public half only: the rotation deletes its private half, so a copy of the file taken afterwards
 * cannot sign as the old key.
 */
interface KeyFile extends SigningKey {
  previous?: JWK;
}

/** A refusal to print as one line (nothing was changed). */
export class DeviceKeyError extends Error {
  override name = 'DeviceKeyError';
}

function publicPart(jwk: JWK, kid: string, alg: string): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...pub } = jwk;
  return { ...pub, kid, alg, use: 'sig' };
}

function parseKeyFile(text: string, file: string): KeyFile {
  const parsed = JSON.parse(text) as Partial<KeyFile>;
  if (parsed.privateJwk?.d && parsed.kid && parsed.alg) return parsed as KeyFile;
  throw new DeviceKeyError(`${file} is not a device key file (alg, kid, privateJwk)`);
}

async function readKeyFile(file: string): Promise<KeyFile | undefined> {
  try {
    return parseKeyFile(await readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A new file next to the key file, written and flushed before it is linked or renamed into place. */
async function writeTemp(file: string, content: KeyFile): Promise<string> {
  const temp = `${file}.${randomUUID()}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(content, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

async function toDeviceKey(content: KeyFile, file: string, created = false): Promise<DeviceKey> {
  const { previous, ...signing } = content;
  const privateKey = (await importJWK(signing.privateJwk, signing.alg)) as CryptoKey;
  const publicJwk = publicPart(signing.privateJwk, signing.kid, signing.alg);
  return {
    privateKey,
    alg: signing.alg,
    kid: signing.kid,
    publicJwk,
    jwks: { keys: previous ? [publicJwk, previous] : [publicJwk] },
    ...(previous?.kid ? { previousKid: previous.kid } : {}),
    file,
    created,
  };
}

async function newSigningKey(alg: ClientAssertionAlgorithm): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  // The kid is the RFC 7638 thumbprint: a new key always gets a new kid.
  return { alg, kid: await calculateJwkThumbprint(privateJwk), privateJwk };
}

export function deviceKeyFile(dataDir: string): string {
  return join(dataDir, DEVICE_KEY_FILE);
}

/** Reads the key file as it is now; undefined when there is none. */
export async function readDeviceKey(dataDir: string): Promise<DeviceKey | undefined> {
  const file = deviceKeyFile(dataDir);
  const content = await readKeyFile(file);
  return content ? toDeviceKey(content, file) : undefined;
}

/** The keys in a key file's text, for a reader that opened the file itself. */
export function parseDeviceKey(text: string, file: string): Promise<DeviceKey> {
  return toDeviceKey(parseKeyFile(text, file), file);
}

/**
 * The device's signing key: generated once into `<dataDir>/device-key.json` (mode 0600), then reused on every
 * start, so the JWKS Medplum fetches stays the same. Only the public halves ever leave the file.
 */
export async function loadOrCreateDeviceKey(
  dataDir: string,
  options: { alg?: ClientAssertionAlgorithm } = {}
): Promise<DeviceKey> {
  const file = deviceKeyFile(dataDir);
  const existing = await readKeyFile(file);
  if (existing) return toDeviceKey(existing, file);

  const content: KeyFile = await newSigningKey(options.alg ?? 'ES256');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const temp = await writeTemp(file, content);
  try {
    // link() refuses to replace an existing file: if another process created the key meanwhile, theirs wins.
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readKeyFile(file);
    if (!winner) throw error;
    return toDeviceKey(winner, file);
  } finally {
    await unlink(temp);
  }
  return toDeviceKey(content, file, true);
}

const LOCK_WAIT_MS = 10_000;

/**
 * One key change at a time: read, change and replace the file while holding `<file>.lock` (see pid-lock.ts).
 * A rename alone is atomic for readers but would let two concurrent rotations each replace the other's result, and
 * the loser's new key would vanish. A lock left by a process that died is taken over (safely when several operators
 * do so at once), so an interrupted rotation needs no clean-up by hand, unless a process died in the microseconds of
 * a take-over itself in this boot (pid-lock.ts).
 */
async function withKeyFileLock<T>(file: string, change: () => Promise<T>): Promise<T> {
  const path = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let lock = takeKeyFileLock(path);
  while (!lock.taken) {
    if (Date.now() > deadline) {
      throw new DeviceKeyError(`another key change holds ${path} (${describeHolder(lock)}); try again when it is done`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
    lock = takeKeyFileLock(path);
  }
  try {
    return await change();
  } finally {
    lock.release();
  }
}

/** takePidLock, its one refusal (a take-over left half-done) as a one-line DeviceKeyError. */
function takeKeyFileLock(path: string): PidLockAttempt {
  try {
    return takePidLock(path);
  } catch (error) {
    throw new DeviceKeyError((error as Error).message);
  }
}

/** Applies `next` to the current file under the lock and atomically replaces it (rename over, still 0600). */
async function changeKeyFile(dataDir: string, next: (current: KeyFile, file: string) => Promise<KeyFile>) {
  const file = deviceKeyFile(dataDir);
  return withKeyFileLock(file, async () => {
    const current = await readKeyFile(file);
    if (!current) {
      throw new DeviceKeyError(
        `no device key in ${dataDir} (the device creates it on its first start with DEVICE_AUTH_METHOD=private-key-jwt)`
      );
    }
    const content = await next(current, file);
    const temp = await writeTemp(file, content);
    try {
      await rename(temp, file);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
    return { before: current, after: await toDeviceKey(content, file) };
  });
}

export interface KeyRotation {
  /** The new signing key (its public half is published). */
  key: DeviceKey;
  /** The kid still published until `retireDeviceKey`. */
  previousKid: string;
}

/**
 * Step 1 of a key rotation: a new key pair with a new kid becomes the signing key; the old public key stays in the
 * JWKS, so assertions signed with it just before the switch still verify. A running device picks the new key up
 * before its next signature, without a restart. Refused while a rotation is under way (retire first).
 */
export async function rotateDeviceKey(
  dataDir: string,
  options: { alg?: ClientAssertionAlgorithm } = {}
): Promise<KeyRotation> {
  const { before, after } = await changeKeyFile(dataDir, async (current) => {
    if (current.previous) {
      throw new DeviceKeyError(
        `a key rotation is under way (previous key ${current.previous.kid} still published): retire it first`
      );
    }
    return {
      ...(await newSigningKey(options.alg ?? current.alg)),
      previous: publicPart(current.privateJwk, current.kid, current.alg),
    };
  });
  return { key: after, previousKid: before.kid };
}

/** Step 2: the previous key leaves the JWKS; assertions signed with it are refused from Medplum's next fetch on. */
export async function retireDeviceKey(dataDir: string): Promise<{ key: DeviceKey; retiredKid: string }> {
  const { before, after } = await changeKeyFile(dataDir, async (current) => {
    if (!current.previous) throw new DeviceKeyError('no key rotation is under way: there is no previous key to retire');
    const { previous: _retired, ...signing } = current;
    return signing;
  });
  return { key: after, retiredKid: before.previous?.kid ?? '' };
}

import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeMedplum } from '../testing/fake-medplum.ts';
import { createDeviceClient } from './device-client.ts';
import {
  DEVICE_KEY_FILE,
  DeviceKeyError,
  loadOrCreateDeviceKey,
  readDeviceKey,
  retireDeviceKey,
  rotateDeviceKey,
} from './device-key.ts';
import { openDeviceKeyStore } from './key-store.ts';
import { breakLockPath } from './pid-lock.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'device-key-rotation-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const keyFile = () => join(dir, DEVICE_KEY_FILE);
const fileText = () => readFile(keyFile(), 'utf8');
const kids = (jwks: { keys: { kid?: string }[] }) => jwks.keys.map((key) => key.kid);

describe('device key rotation: rotate, then retire', () => {
  it('rotate: a new key with a new kid signs; the old public key stays published; its private half is gone', async () => {
    const original = await loadOrCreateDeviceKey(dir);
    const originalD = JSON.parse(await fileText()).privateJwk.d as string;
    const { key, previousKid } = await rotateDeviceKey(dir);
    expect(previousKid).toBe(original.kid);
    expect(key.kid).not.toBe(original.kid);
    expect(key.kid).toBe(await calculateJwkThumbprint(key.publicJwk));
    expect(kids(key.jwks)).toEqual([key.kid, original.kid]);
    expect(key.jwks.keys[1]).toEqual(original.publicJwk);
    for (const published of key.jwks.keys) expect(published).not.toHaveProperty('d');

    const stored = JSON.parse(await fileText());
    expect(stored.kid).toBe(key.kid);
    expect(stored.privateJwk).toHaveProperty('d');
    expect(stored.previous).toEqual(original.publicJwk);
    expect(JSON.stringify(stored)).not.toContain(originalD);
    expect((await stat(keyFile())).mode & 0o777).toBe(0o600);
    expect(await readDeviceKey(dir)).toMatchObject({ kid: key.kid, previousKid: original.kid });
  });

  it('retire: only the signing key is left in the JWKS', async () => {
    await loadOrCreateDeviceKey(dir);
    const { key: rotated, previousKid } = await rotateDeviceKey(dir);
    const { key, retiredKid } = await retireDeviceKey(dir);
    expect(retiredKid).toBe(previousKid);
    expect(key.kid).toBe(rotated.kid);
    expect(kids(key.jwks)).toEqual([rotated.kid]);
    expect(JSON.parse(await fileText())).not.toHaveProperty('previous');
    expect((await stat(keyFile())).mode & 0o777).toBe(0o600);
  });

  it('refuses a second rotation before retire, a retire without rotation and a rotation without key; changes nothing', async () => {
    await expect(rotateDeviceKey(dir)).rejects.toThrow(/no device key in .*first start/);
    await loadOrCreateDeviceKey(dir);
    await expect(retireDeviceKey(dir)).rejects.toThrow(
      new DeviceKeyError('no key rotation is under way: there is no previous key to retire')
    );
    await rotateDeviceKey(dir);
    const before = await fileText();
    await expect(rotateDeviceKey(dir)).rejects.toThrow(/a key rotation is under way .*retire it first/);
    expect(await fileText()).toBe(before);
  });

  it('reads the one-key file written before rotation existed (no previous), and rotates it', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(privateJwk);
    await writeFile(keyFile(), `${JSON.stringify({ alg: 'ES256', kid, privateJwk }, null, 2)}\n`, { mode: 0o600 });

    const loaded = await loadOrCreateDeviceKey(dir);
    expect(loaded).toMatchObject({ kid, created: false });
    expect(kids(loaded.jwks)).toEqual([kid]);
    expect(loaded.previousKid).toBeUndefined();

    const { key } = await rotateDeviceKey(dir);
    expect(kids(key.jwks)).toEqual([key.kid, kid]);
    expect(JSON.parse(await fileText())).toMatchObject({ alg: 'ES256', kid: key.kid, previous: { kid } });
  });

  it('refuses a file it does not understand instead of replacing the published key', async () => {
    await writeFile(keyFile(), JSON.stringify({ keys: [] }));
    await expect(loadOrCreateDeviceKey(dir)).rejects.toThrow(DeviceKeyError);
    await expect(rotateDeviceKey(dir)).rejects.toThrow(/not a device key file/);
  });
});

describe('device key rotation: concurrent writers', () => {
  it('eight rotations at once: one wins, the others are refused, and no key is lost', async () => {
    const original = await loadOrCreateDeviceKey(dir);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => rotateDeviceKey(dir)));
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    expect(won).toHaveLength(1);
    expect(refused).toHaveLength(7);
    for (const error of refused) expect(error.message).toMatch(/a key rotation is under way/);
    // The file holds exactly what the winner returned: its new key signing, the original one still published.
    const now = await readDeviceKey(dir);
    expect(now?.kid).toBe(won[0]?.key.kid);
    expect(kids(now?.jwks ?? { keys: [] })).toEqual([won[0]?.key.kid, original.kid]);
    await expect(stat(`${keyFile()}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a rotation and a retire at once end in one of the two orders, never with a key missing', async () => {
    await loadOrCreateDeviceKey(dir);
    const { key: rotated } = await rotateDeviceKey(dir);
    const [retire, rotate] = await Promise.allSettled([retireDeviceKey(dir), rotateDeviceKey(dir)]);
    expect(retire.status).toBe('fulfilled');
    const now = await readDeviceKey(dir);
    if (rotate.status === 'fulfilled') {
      // retire first, then a new rotation: the rotated key is the published previous one.
      expect(kids(now?.jwks ?? { keys: [] })).toEqual([rotate.value.key.kid, rotated.kid]);
    } else {
      expect(kids(now?.jwks ?? { keys: [] })).toEqual([rotated.kid]);
    }
  });

  it('a lock left by a process that died is taken over: the rotation goes ahead and the lock is gone after', async () => {
    const first = await loadOrCreateDeviceKey(dir);
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    await writeFile(`${keyFile()}.lock`, `${gone}\n`);
    const { previousKid } = await rotateDeviceKey(dir);
    expect(previousKid).toBe(first.kid);
    await expect(stat(`${keyFile()}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a take-over left half-done by a process that died is one refusal naming the file, and nothing changes', async () => {
    await loadOrCreateDeviceKey(dir);
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    await writeFile(`${keyFile()}.lock`, `${gone}\n`);
    await writeFile(breakLockPath(`${keyFile()}.lock`), `${gone}\n`);
    const before = await fileText();
    const refusal = rotateDeviceKey(dir);
    await expect(refusal).rejects.toBeInstanceOf(DeviceKeyError);
    await expect(refusal).rejects.toThrow(
      `${breakLockPath(`${keyFile()}.lock`)} was left by process ${gone}, which died`
    );
    expect(await fileText()).toBe(before);
  });
});

describe('the running device follows the key file without a restart', () => {
  it('the store serves 1 key, then 2 after a rotation, then 1 after retire', async () => {
    const store = await openDeviceKeyStore(dir);
    expect(store.created).toBe(true);
    const first = store.last().kid;
    expect(kids(await store.jwks())).toEqual([first]);
    const { key } = await rotateDeviceKey(dir);
    expect(kids(await store.jwks())).toEqual([key.kid, first]);
    expect((await store.current()).kid).toBe(key.kid);
    expect(store.last().kid).toBe(key.kid);
    await retireDeviceKey(dir);
    expect(kids(await store.jwks())).toEqual([key.kid]);
  });

  it('the next token request after a rotation carries an assertion with the new kid', async () => {
    const server = fakeMedplum();
    let hoursLater = 0;
    const device = await createDeviceClient({
      now: () => Date.now() + hoursLater * 3_600_000,
      baseUrl: server.baseUrl,
      method: 'private-key-jwt',
      clientId: server.clientId,
      dataDir: dir,
      fetch: server.fetch,
    });
    const assertionKids = () =>
      server
        .tokenRequests()
        .map((r) => decodeProtectedHeader(new URLSearchParams(r.body).get('client_assertion') ?? '').kid);
    const before = device.keys?.last().kid;
    await device.readResource('ServiceRequest', 'sr1');
    const { key } = await rotateDeviceKey(dir);
    hoursLater = 2; // the token has expired: the next call signs a new assertion
    await device.readResource('ServiceRequest', 'sr2');
    expect(assertionKids()).toEqual([before, key.kid]);
    expect(device.description).toContain(`kid ${key.kid}`);
  });
});

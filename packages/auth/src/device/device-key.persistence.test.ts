import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEVICE_KEY_FILE, loadOrCreateDeviceKey } from './device-key.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'device-key-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('device key pair is created once and kept in the data folder', () => {
  it('creates it on first use and reuses it afterwards', async () => {
    const first = await loadOrCreateDeviceKey(join(dir, 'nested'));
    const second = await loadOrCreateDeviceKey(join(dir, 'nested'));
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.kid).toBe(first.kid);
    expect(second.jwks).toEqual(first.jwks);
  });

  it('keeps the private key readable by its owner only', async () => {
    const key = await loadOrCreateDeviceKey(dir);
    expect((await stat(key.file)).mode & 0o777).toBe(0o600);
    expect(key.file).toBe(join(dir, DEVICE_KEY_FILE));
  });

  it('publishes only the public half', async () => {
    const key = await loadOrCreateDeviceKey(dir);
    expect(key.jwks.keys).toHaveLength(1);
    const [jwk] = key.jwks.keys;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: key.kid });
    expect(jwk).not.toHaveProperty('d');
    const stored = JSON.parse(await readFile(key.file, 'utf8'));
    expect(stored.privateJwk).toHaveProperty('d');
  });

  it('concurrent first starts end up with one key', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateDeviceKey(dir)));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
    expect(keys.filter((k) => k.created)).toHaveLength(1);
  });

  it('supports RSA keys too', async () => {
    const key = await loadOrCreateDeviceKey(dir, { alg: 'RS256' });
    expect(key.publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256' });
    expect(key.publicJwk).not.toHaveProperty('p');
  });

  it('refuses a corrupt key file instead of silently replacing the published key', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, DEVICE_KEY_FILE), 'not json');
    await expect(loadOrCreateDeviceKey(dir)).rejects.toThrow(SyntaxError);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceKey, loadOrCreateDeviceKey } from '../device/device-key.ts';
import { signClientAssertion } from './client-assertion.ts';

const tokenUrl = 'http://localhost:8103/oauth2/token';
const clientId = 'bd3c6f1b-133e-4c39-afbf-b2607e82c0d8';
let dir: string;
let key: DeviceKey;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assertion-'));
  key = await loadOrCreateDeviceKey(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('client assertion claims', () => {
  it('iss = sub = client id, aud = token URL, short exp, verifiable with the published JWKS', async () => {
    const jwt = await signClientAssertion({ clientId, tokenUrl, ...key });
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(key.jwks), {
      issuer: clientId,
      subject: clientId,
      audience: tokenUrl,
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: key.kid, typ: 'JWT' });
    expect(typeof payload.jti).toBe('string');
    // The default lifetime: 120 s (never more than 300 s).
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(120);
  });

  it('uses a fresh jti every time', async () => {
    const jtis = new Set<unknown>();
    for (let i = 0; i < 20; i++) {
      const { payload } = await jwtVerify(
        await signClientAssertion({ clientId, tokenUrl, ...key }),
        createLocalJWKSet(key.jwks)
      );
      jtis.add(payload.jti);
    }
    expect(jtis.size).toBe(20);
  });

  it('signs with a JWK private key as well', async () => {
    const { readFile } = await import('node:fs/promises');
    const jwk = JSON.parse(await readFile(key.file, 'utf8')).privateJwk;
    const jwt = await signClientAssertion({ clientId, tokenUrl, privateKey: jwk, alg: 'ES256', kid: key.kid });
    expect(decodeProtectedHeader(jwt).kid).toBe(key.kid);
  });

  it.each([
    ['a lifetime over five minutes', { lifetimeSeconds: 301 }, /lifetime/],
    ['a zero lifetime', { lifetimeSeconds: 0 }, /lifetime/],
    ['an unsupported algorithm', { alg: 'HS256' as 'ES256' }, /unsupported/],
    ['an empty client id', { clientId: '' }, /client id/],
    ['a token URL that is not a URL', { tokenUrl: 'oauth2/token' }, /Invalid URL/],
  ])('refuses %s', async (_label, override, error) => {
    await expect(signClientAssertion({ clientId, tokenUrl, ...key, ...override })).rejects.toThrow(error);
  });
});

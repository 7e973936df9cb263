import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertionClient, buildSeed } from '../../test/fixtures/seed.ts';
import { type RunningEmulator, startEmulator } from '../index.ts';

/**
 * A client rotating the keys of its JWKS, as Medplum sees it: packages/server/src/oauth/token.ts builds a new
 * createRemoteJWKSet for every assertion, so the set is fetched on each token request. A cache kept between requests
 * would refuse a new kid within jose's 30 s unknown-kid cooldown and keep accepting a dropped key for its 10 min
 * cache lifetime; both cases below fail with such a cache.
 */
let jwksServer: Server;
let emulator: RunningEmulator;
let published: JWK[] = [];
let fetches = 0;

interface Key {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

beforeAll(async () => {
  jwksServer = createServer((_request, response) => {
    fetches += 1;
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
  emulator = await startEmulator({ port: 0, seed: buildSeed({ jwksUri }), log: () => {} });
});
afterAll(async () => {
  await emulator?.stop();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

async function tokenWith(key: Key): Promise<{ status: number; body: Record<string, unknown> }> {
  const tokenUrl = `${emulator.url}oauth2/token`;
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(assertionClient.id)
    .setSubject(assertionClient.id)
    .setAudience(tokenUrl)
    .setIssuedAt()
    .setExpirationTime('2m')
    .setJti(crypto.randomUUID())
    .sign(key.privateKey);
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('private_key_jwt: the client JWKS is fetched for every assertion (key rotation)', () => {
  it('accepts the new kid at once, both keys while both are published, and refuses the dropped key at once', async () => {
    const old = await newKey('old');
    const next = await newKey('new');
    published = [old.publicJwk];
    expect((await tokenWith(old)).status).toBe(200);

    published = [next.publicJwk, old.publicJwk]; // rotate: the new key signs, the old one is still published
    expect((await tokenWith(next)).status).toBe(200);
    expect((await tokenWith(old)).status).toBe(200);

    published = [next.publicJwk]; // retire
    expect(await tokenWith(old)).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Invalid client assertion signature' },
    });
    expect((await tokenWith(next)).status).toBe(200);
    expect(fetches).toBe(5);
  });
});

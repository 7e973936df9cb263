import { afterAll, beforeAll, expect } from 'vitest';
import type { ContractTarget } from '../contract/target.ts';
import { startTarget } from '../contract/target.ts';
import { mirrorOf } from './mirror.ts';

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const medplum = mirrorOf('packages/server/src/wellknown.test.ts', '0aacfe68f3a71ca95252b31384eb2e36d0094417');

medplum.describe(() => {
  // Ported without its `alg: RS256` / `kty: RSA` / `e` / `n` lines: this stored version of the test predates the key
  // algorithm of current servers (new keys ES384, P-384; older RS256 keys still verify by kid). Clients read the JWKS.
  medplum.it('Get /.well-known/jwks.json [key shape; the algorithm of current servers]', async () => {
    const response = await fetch(`${target.baseUrl}.well-known/jwks.json`);
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(Array.isArray(keys)).toStrictEqual(true);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keys) {
      expect((key.kid as string).length).toStrictEqual(36);
      expect(key.kid).toMatch(UUID);
      expect(key.use).toStrictEqual('sig');
      expect([key.alg, key.kty, key.crv]).toEqual(['ES384', 'EC', 'P-384']);
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key[secret]).toBeUndefined();
    }
  });

  medplum.it('Get /.well-known/openid-configuration', async () => {
    const response = await fetch(`${target.baseUrl}.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as Record<string, unknown>;
    for (const field of [
      'issuer',
      'authorization_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
      'jwks_uri',
      'id_token_signing_alg_values_supported',
      'response_types_supported',
      'subject_types_supported',
    ]) {
      expect(doc[field]).toBeDefined();
    }
  });
});

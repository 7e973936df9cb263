import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractTarget } from './target.ts';
import { startTarget } from './target.ts';

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

describe('discovery documents', () => {
  it('openid-configuration names this server’s endpoints and Medplum’s grants', async () => {
    const response = await fetch(`${target.baseUrl}.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as Record<string, unknown>;
    expect(doc.token_endpoint).toBe(`${target.baseUrl}oauth2/token`);
    expect(doc.authorization_endpoint).toBe(`${target.baseUrl}oauth2/authorize`);
    expect(doc.userinfo_endpoint).toBe(`${target.baseUrl}oauth2/userinfo`);
    expect(doc.jwks_uri).toBe(`${target.baseUrl}.well-known/jwks.json`);
    expect(doc.grant_types_supported).toEqual(
      expect.arrayContaining([
        'client_credentials',
        'authorization_code',
        'refresh_token',
        'urn:ietf:params:oauth:grant-type:token-exchange',
      ])
    );
    expect(doc.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'private_key_jwt'])
    );
  });

  it('jwks.json publishes public signing keys with kid and use, never private parts', async () => {
    const { keys } = (await (await fetch(`${target.baseUrl}.well-known/jwks.json`)).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(typeof key.kid).toBe('string');
      expect(key.use).toBe('sig');
      expect(key.d).toBeUndefined();
    }
  });

  it('smart-configuration advertises S256 PKCE, also under fhir/R4', async () => {
    for (const path of ['.well-known/smart-configuration', 'fhir/R4/.well-known/smart-configuration']) {
      const doc = (await (await fetch(`${target.baseUrl}${path}`)).json()) as Record<string, unknown>;
      expect(doc.code_challenge_methods_supported).toEqual(['S256']);
      expect(doc.token_endpoint).toBe(`${target.baseUrl}oauth2/token`);
    }
  });

  it('metadata is a CapabilityStatement, readable without credentials', async () => {
    const response = await fetch(`${target.baseUrl}fhir/R4/metadata`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { resourceType: string }).resourceType).toBe('CapabilityStatement');
  });

  it('serves every route under /api/ too', async () => {
    const response = await fetch(`${target.baseUrl}api/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
  });
});

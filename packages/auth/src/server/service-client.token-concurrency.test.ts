import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeMedplum } from '../testing/fake-medplum.ts';
import { clientCredentials } from './credentials.ts';
import { createServiceClient } from './service-client.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(lifetimeSeconds = 3600) {
  const server = fakeMedplum({ lifetimeSeconds });
  const client = createServiceClient({
    baseUrl: server.baseUrl,
    credentials: clientCredentials({ clientId: server.clientId, clientSecret: 'unit-test-secret' }),
    fetch: server.fetch,
    maxRetries: 0,
  });
  return { server, client };
}

describe('token cache: one token request, shared', () => {
  it('200 concurrent first calls cause exactly one token request', async () => {
    const { server, client } = setup();
    await Promise.all(Array.from({ length: 200 }, (_, i) => client.readResource('Patient', `p${i}`)));
    expect(server.tokenRequests()).toHaveLength(1);
    expect(server.fhirRequests()).toHaveLength(200);
    expect(client.tokenRequests()).toBe(1);
  });

  it('reuses the token for later calls until shortly before expiry', async () => {
    const { server, client } = setup(3600);
    for (let i = 0; i < 20; i++) await client.readResource('Patient', 'p');
    vi.setSystemTime(T0 + (3600 - 61) * 1000);
    await client.readResource('Patient', 'p');
    expect(server.tokenRequests()).toHaveLength(1);
  });

  it.each([
    ['inside the renewal window', 3600 - 30],
    ['exactly at expiry', 3600],
    ['after expiry', 3600 + 10],
  ])('200 concurrent calls %s cause exactly one new token request', async (_label, seconds) => {
    const { server, client } = setup(3600);
    await client.ready();
    const firstExpiry = client.tokenExpiresAt();
    vi.setSystemTime(T0 + seconds * 1000);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => client.readResource('Patient', `p${i}`)));
    expect(results).toHaveLength(200);
    expect(server.tokenRequests()).toHaveLength(2);
    expect(client.tokenExpiresAt()).toBeGreaterThan(firstExpiry ?? 0);
    // Every FHIR call went out with the new token, none with the old one.
    const tokens = new Set(server.fhirRequests().map((r) => r.headers.get('authorization')));
    expect(tokens.size).toBe(1);
  });

  it('callers arriving while the token request is in flight wait for it instead of starting another', async () => {
    const { server, client } = setup();
    const release = server.holdTokenResponses();
    const first = Promise.all(Array.from({ length: 50 }, () => client.readResource('Patient', 'a')));
    await vi.waitFor(() => expect(server.tokenRequests()).toHaveLength(1));
    const second = Promise.all(Array.from({ length: 50 }, () => client.readResource('Patient', 'b')));
    release();
    await Promise.all([first, second]);
    expect(server.tokenRequests()).toHaveLength(1);
  });

  it('a failed token request fails every waiting caller once, and the next call tries again', async () => {
    const { server, client } = setup();
    server.failTokenRequestsWith(400);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => client.readResource('Patient', 'p')));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(server.tokenRequests()).toHaveLength(1);
    server.failTokenRequestsWith(undefined);
    await client.readResource('Patient', 'p');
    expect(server.tokenRequests()).toHaveLength(2);
  });

  it('never logs the token or the secret', async () => {
    const server = fakeMedplum();
    const lines: string[] = [];
    const client = createServiceClient({
      baseUrl: server.baseUrl,
      credentials: clientCredentials({ clientId: server.clientId, clientSecret: 'unit-test-secret' }),
      fetch: server.fetch,
      log: (line) => lines.push(line),
    });
    await client.readResource('Patient', 'p');
    const token = client.medplum.getAccessToken() ?? '';
    expect(lines).toEqual(['client-credentials: new access token, expires 2026-01-01T01:00:00.000Z']);
    for (const line of lines) {
      expect(line).not.toContain('unit-test-secret');
      expect(line).not.toContain(token);
    }
  });
});

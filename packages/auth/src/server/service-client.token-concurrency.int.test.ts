import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSeededEmulator } from '../testing/emulator.ts';
import { countingFetch } from '../testing/http-server.ts';
import { clientCredentials } from './credentials.ts';
import { createServiceClient } from './service-client.ts';

// Integration: the real SDK against the started emulator over real HTTP; token requests are counted at fetch level.
let env: Awaited<ReturnType<typeof startSeededEmulator>>;

beforeAll(async () => {
  env = await startSeededEmulator();
});
afterAll(async () => {
  await env?.emulator.stop();
});
afterEach(() => {
  vi.useRealTimers();
});

function proxyClient() {
  const counter = countingFetch();
  const client = createServiceClient({
    baseUrl: env.emulator.url,
    credentials: clientCredentials({
      clientId: env.clients.proxy.clientId,
      clientSecret: env.clients.proxy.clientSecret,
    }),
    fetch: counter.fetch,
  });
  return { client, tokenRequests: () => counter.count('/oauth2/token') };
}

describe('server client against the emulator: one token request', () => {
  it('200 concurrent first calls make exactly one token request', async () => {
    const { client, tokenRequests } = proxyClient();
    const results = await Promise.all(Array.from({ length: 200 }, () => client.searchResources('Patient')));
    expect(results.every((r) => r.length >= 2)).toBe(true);
    expect(tokenRequests()).toBe(1);
  });

  it('500 calls reuse one token', async () => {
    const { client, tokenRequests } = proxyClient();
    for (let i = 0; i < 5; i++) {
      await Promise.all(Array.from({ length: 100 }, () => client.searchResources('Patient', { _count: '1' })));
    }
    expect(tokenRequests()).toBe(1);
  });

  it('200 concurrent calls around token expiry make exactly one new token request', async () => {
    const { client, tokenRequests } = proxyClient();
    await client.ready();
    const expiresAt = client.tokenExpiresAt() ?? 0;
    expect(expiresAt).toBeGreaterThan(Date.now());
    // Move the clock (both sides: the emulator runs in this process) to 20 s before expiry.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(expiresAt - 20_000);
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => client.searchResources('Patient')));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(tokenRequests()).toBe(2);
    expect(client.tokenExpiresAt()).toBeGreaterThan(expiresAt);
  });

  it('a wrong secret is refused and every waiting caller sees it, with one token request', async () => {
    const counter = countingFetch();
    const client = createServiceClient({
      baseUrl: env.emulator.url,
      credentials: clientCredentials({
        clientId: env.clients.proxy.clientId,
        clientSecret: 'wrong-secret-0123456789',
      }),
      fetch: counter.fetch,
      maxRetries: 0,
    });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => client.searchResources('Patient')));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(counter.count('/oauth2/token')).toBe(1);
  });
});

import { tooManyRequests } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { fakeMedplum } from '../testing/fake-medplum.ts';
import { clientCredentials } from './credentials.ts';
import { createServiceClient } from './service-client.ts';

describe('back-off after the token endpoint answers 429', () => {
  function setup() {
    const server = fakeMedplum();
    const waits: number[] = [];
    let clock = Date.parse('2026-01-01T00:00:00.000Z');
    const client = createServiceClient({
      baseUrl: server.baseUrl,
      credentials: clientCredentials({ clientId: server.clientId, clientSecret: 's' }),
      fetch: server.fetch,
      maxRetries: 0,
      tokenBackoff: { initialMs: 1000, maxMs: 4000 },
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    return { server, client, waits };
  }

  it('waits before the next token request, doubling up to the maximum, and resets after a success', async () => {
    const { server, client, waits } = setup();
    server.failTokenRequestsWith(429);
    await expect(client.ready()).rejects.toMatchObject({ outcome: tooManyRequests });
    expect(waits).toEqual([]);
    for (let i = 0; i < 3; i++) await expect(client.ready()).rejects.toMatchObject({ outcome: tooManyRequests });
    expect(waits).toEqual([1000, 2000, 4000]);
    server.failTokenRequestsWith(undefined);
    await client.ready();
    expect(waits).toEqual([1000, 2000, 4000, 4000]);
    expect(server.tokenRequests()).toHaveLength(5);
  });

  it('concurrent callers share the waiting and the one token request', async () => {
    const { server, client, waits } = setup();
    server.failTokenRequestsWith(429);
    await expect(client.ready()).rejects.toMatchObject({ outcome: tooManyRequests });
    server.failTokenRequestsWith(undefined);
    await Promise.all(Array.from({ length: 30 }, () => client.readResource('Patient', 'p')));
    expect(waits).toEqual([1000]);
    expect(server.tokenRequests()).toHaveLength(2);
  });

  it('does not back off after other token errors (e.g. a wrong secret)', async () => {
    const { server, client, waits } = setup();
    server.failTokenRequestsWith(400);
    // Medplum's token error, as the SDK reads it: `invalid`, with the error description as text.
    const invalidSecret = {
      outcome: { issue: [{ severity: 'error', code: 'invalid', details: { text: 'Invalid secret' } }] },
    };
    await expect(client.ready()).rejects.toMatchObject(invalidSecret);
    await expect(client.ready()).rejects.toMatchObject(invalidSecret);
    expect(waits).toEqual([]);
  });
});

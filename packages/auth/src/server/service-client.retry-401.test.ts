import { unauthorized } from '@medplum/core';
import { generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { fakeMedplum } from '../testing/fake-medplum.ts';
import { clientCredentials, privateKeyJwt } from './credentials.ts';
import { createServiceClient } from './service-client.ts';

/** A fake Medplum, and a service client of it that has signed in with the given credentials. */
async function readyClient(method: 'client_credentials' | 'private_key_jwt') {
  const server = fakeMedplum();
  const credentials =
    method === 'client_credentials'
      ? clientCredentials({ clientId: server.clientId, clientSecret: 's' })
      : privateKeyJwt({
          clientId: server.clientId,
          privateKey: (await generateKeyPair('ES256')).privateKey,
          alg: 'ES256',
          kid: 'k1',
        });
  const client = createServiceClient({ baseUrl: server.baseUrl, credentials, fetch: server.fetch });
  await client.ready();
  return { server, client };
}

describe('one retry on 401', () => {
  it('client credentials: a rejected token gets one new token and the call is retried once', async () => {
    const { server, client } = await readyClient('client_credentials');
    server.revokeAll();
    const patient = await client.readResource('Patient', 'p1');
    expect(patient.id).toBe('p1');
    expect(server.tokenRequests()).toHaveLength(2);
    expect(server.fhirRequests()).toHaveLength(2);
  });

  it('client credentials: a second 401 is final (no loop)', async () => {
    const { server, client } = await readyClient('client_credentials');
    server.alwaysUnauthorized(true);
    await expect(client.readResource('Patient', 'p1')).rejects.toMatchObject({ outcome: unauthorized });
    expect(server.fhirRequests()).toHaveLength(2);
    expect(server.tokenRequests()).toHaveLength(2);
  });

  it('private_key_jwt: the SDK cannot re-login, so the client signs a new assertion and retries once', async () => {
    const { server, client } = await readyClient('private_key_jwt');
    server.revokeAll();
    await expect(client.readResource('Patient', 'p1')).resolves.toMatchObject({ id: 'p1' });
    expect(server.tokenRequests()).toHaveLength(2);
    const assertions = server.tokenRequests().map((r) => new URLSearchParams(r.body).get('client_assertion'));
    expect(new Set(assertions).size).toBe(2);
  });

  it.each(['client_credentials', 'private_key_jwt'] as const)(
    '%s: concurrent 401s share one new token request',
    async (method) => {
      const { server, client } = await readyClient(method);
      server.revokeAll();
      const reads = Array.from({ length: 20 }, () => client.readResource('Patient', 'p1'));
      const patients = await Promise.all(reads);
      expect(patients.map((patient) => patient.id)).toEqual(Array(20).fill('p1'));
      // The sign-in, then exactly one new token for all twenty rejected calls; each call retried once.
      expect(server.tokenRequests()).toHaveLength(2);
      expect(server.fhirRequests()).toHaveLength(40);
    }
  );

  it('private_key_jwt: a second 401 is final', async () => {
    const { server, client } = await readyClient('private_key_jwt');
    server.alwaysUnauthorized(true);
    await expect(client.readResource('Patient', 'p1')).rejects.toMatchObject({ outcome: unauthorized });
    expect(server.fhirRequests()).toHaveLength(2);
  });
});

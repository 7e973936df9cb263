import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeMedplum } from '../testing/fake-medplum.ts';
import { createDeviceClient, createDeviceCredentials } from './device-client.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'device-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const secret = 'unit-test-device-secret';

describe('device credential strategies behind one interface', () => {
  it('defaults to client credentials, with a token request carrying the secret in the form', async () => {
    const server = fakeMedplum();
    const lines: string[] = [];
    const device = await createDeviceClient({
      baseUrl: server.baseUrl,
      clientId: server.clientId,
      clientSecret: secret,
      fetch: server.fetch,
      log: (line) => lines.push(line),
    });
    expect(device.method).toBe('client-credentials');
    await device.createResource({ resourceType: 'Observation', status: 'final', code: { text: 'x' } });
    const [token] = server.tokenRequests();
    const form = new URLSearchParams(token?.body);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('client_id')).toBe(server.clientId);
    expect(device.tokenExpiresAt()).toBeGreaterThan(Date.now());
    expect(lines.join('\n')).not.toContain(secret);
  });

  it('basic: no token request, Basic on every call, and a log line saying it is the fallback', async () => {
    const server = fakeMedplum();
    const lines: string[] = [];
    const device = await createDeviceClient({
      baseUrl: server.baseUrl,
      method: 'basic',
      clientId: server.clientId,
      clientSecret: secret,
      fetch: server.fetch,
      log: (line) => lines.push(line),
    });
    await device.readResource('ServiceRequest', 'sr1');
    await device.readResource('ServiceRequest', 'sr2');
    expect(server.tokenRequests()).toHaveLength(0);
    const expected = `Basic ${Buffer.from(`${server.clientId}:${secret}`).toString('base64')}`;
    expect(server.fhirRequests().map((r) => r.headers.get('authorization'))).toEqual([expected, expected]);
    // Once as a warning by the device client, once by the service client it wraps.
    const fallback = `basic: FALLBACK - client id and secret of ClientApplication/${server.clientId} sent with every request (no token); use client-credentials or private-key-jwt where possible`;
    expect(lines).toEqual([`WARNING ${fallback}`, fallback]);
    expect(lines.join('\n')).not.toContain(secret);
    expect(device.tokenExpiresAt()).toBeUndefined();
  });

  it('private-key-jwt: a signed assertion and no secret in the token request; the JWKS to publish', async () => {
    const server = fakeMedplum();
    const device = await createDeviceClient({
      baseUrl: server.baseUrl,
      method: 'private-key-jwt',
      clientId: server.clientId,
      dataDir: dir,
      fetch: server.fetch,
    });
    await device.readResource('ServiceRequest', 'sr1');
    const form = new URLSearchParams(server.tokenRequests()[0]?.body);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(form.get('client_assertion')?.split('.')).toHaveLength(3);
    expect(form.has('client_secret')).toBe(false);
    expect((await device.keys?.jwks())?.keys).toHaveLength(1);
  });

  it.each([
    ['private-key-jwt without a data folder', { method: 'private-key-jwt' as const, clientId: 'c' }, /data folder/],
    ['client-credentials without a secret', { method: 'client-credentials' as const, clientId: 'c' }, /clientSecret/],
    ['basic without a secret', { method: 'basic' as const, clientId: 'c' }, /clientSecret/],
    ['no client id', { method: 'basic' as const, clientId: '', clientSecret: 's' }, /clientId/],
    [
      'an unknown method',
      { method: 'mtls' as 'basic', clientId: 'c', clientSecret: 's' },
      /unknown device auth method/,
    ],
  ])('refuses %s', async (_label, options, error) => {
    await expect(createDeviceCredentials(options)).rejects.toThrow(error);
  });
});

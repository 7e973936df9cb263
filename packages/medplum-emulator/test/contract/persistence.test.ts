import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startEmulator } from '../../src/index.ts';
import { adminClient, alice, buildSeed, webClient } from '../fixtures/seed.ts';
import { describeSeedBound, SEED_BOUND } from './seed-bound.ts';
import { basic, form } from './target.ts';

const folder = mkdtempSync(join(tmpdir(), 'medplum-emulator-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function createPatient(baseUrl: string, headers: Record<string, string>): Promise<{ id: string }> {
  const response = await fetch(`${baseUrl}fhir/R4/Patient`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ resourceType: 'Patient' }),
  });
  return (await response.json()) as { id: string };
}

async function signIn(baseUrl: string): Promise<Record<string, string>> {
  const verifier = randomBytes(32).toString('base64url');
  const login = await fetch(`${baseUrl}auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({
      email: alice.email,
      password: alice.password,
      clientId: webClient.id,
      scope: 'openid offline_access',
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
      codeChallengeMethod: 'S256',
    }),
  });
  const { code } = (await login.json()) as { code: string };
  const tokens = await fetch(
    `${baseUrl}oauth2/token`,
    form({ grant_type: 'authorization_code', code, code_verifier: verifier })
  );
  return (await tokens.json()) as Record<string, string>;
}

describeSeedBound(SEED_BOUND.emulatorOption, 'restart on the same data file', () => {
  it('keeps resources, deletions, logins and signing keys, so old tokens still work', async () => {
    const dataFile = join(folder, 'nested', 'emulator.json');
    const first = await startEmulator({ port: 0, seed: buildSeed(), dataFile, log: () => {} });
    const tokens = await signIn(first.url);
    const auth = { Authorization: `Bearer ${tokens.access_token}`, 'Content-Type': 'application/fhir+json' };
    const created = await createPatient(first.url, auth);
    const doomed = await createPatient(first.url, auth);
    expect((await fetch(`${first.url}fhir/R4/Patient/${doomed.id}`, { method: 'DELETE', headers: auth })).status).toBe(
      200
    );
    await first.stop();
    const [header] = readFileSync(dataFile, 'utf8').split('\n');
    expect(JSON.parse(header ?? '')).toEqual({ format: 'medplum-emulator/2' });

    // Same port (tokens name their issuer) and file, with the seed again: the seed overwrites or resurrects nothing.
    const port = Number(new URL(first.url).port);
    const second = await startEmulator({ port, seed: buildSeed(), dataFile, log: () => {} });
    try {
      expect(second.url).toBe(first.url);
      // Through 127.0.0.1 rather than localhost: fetch's connection pool may still hold keep-alive sockets to the
      // stopped server under the old origin.
      const base = second.url.replace('localhost', '127.0.0.1');
      const read = await fetch(`${base}fhir/R4/Patient/${created.id}`, { headers: auth });
      expect(read.status).toBe(200);
      expect((await fetch(`${base}fhir/R4/Patient/${doomed.id}`, { headers: auth })).status).toBe(410);

      const refreshed = await fetch(
        `${base}oauth2/token`,
        form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string })
      );
      expect(refreshed.status).toBe(200);
    } finally {
      await second.stop();
    }
  });

  it('without a data file nothing survives a restart', async () => {
    const first = await startEmulator({ port: 0, seed: buildSeed(), log: () => {} });
    const headers = {
      Authorization: basic(adminClient.id, adminClient.secret),
      'Content-Type': 'application/fhir+json',
    };
    const created = await createPatient(first.url, headers);
    await first.stop();
    const second = await startEmulator({ port: 0, seed: buildSeed(), log: () => {} });
    try {
      expect((await fetch(`${second.url}fhir/R4/Patient/${created.id}`, { headers })).status).toBe(404);
    } finally {
      await second.stop();
    }
  });
});

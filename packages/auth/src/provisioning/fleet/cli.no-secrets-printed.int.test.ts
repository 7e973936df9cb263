import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { startEmulator } from '@org/medplum-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../../ids.ts';
import { DEV_ADMIN } from '../dev-admin.ts';
import { nameUuid } from '../ids.ts';
import { buildEmulatorSeed } from '../model/index.ts';
import { DEV_OPTIONS } from '../testing/config.ts';
import { projectAdminEntries, startEmulatorAsAdmin } from '../testing/project-admin.ts';

// The fleet CLI as a separate process against the emulator: credentials only in the 0600 file, one line per refusal.
const run = promisify(execFile);
const cli = join(import.meta.dirname, 'cli.ts');
const projectAdmin = {
  clientId: nameUuid('ClientApplication/fleet-cli-admin'),
  membershipId: nameUuid('ProjectMembership/fleet-cli-admin'),
  name: 'Fleet CLI admin (test)',
  secret: 'fleet-cli-admin-secret-0123456789',
};
let emulator: Awaited<ReturnType<typeof startEmulator>>;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-cli-'));
  const seed = buildEmulatorSeed({ ...DEV_OPTIONS, bcryptRounds: 4 });
  seed.entry?.push(...projectAdminEntries(SEED_IDS.project, projectAdmin));
  seed.entry?.push(...projectAdminEntries(SEED_IDS.project, DEV_ADMIN));
  ({ emulator } = await startEmulatorAsAdmin(seed, projectAdmin));
});
afterAll(async () => {
  await emulator?.stop();
  await rm(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}) {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    MEDPLUM_BASE_URL: emulator.url,
    MEDPLUM_ADMIN_CLIENT_ID: projectAdmin.clientId,
    MEDPLUM_ADMIN_CLIENT_SECRET: projectAdmin.secret,
    ...extra,
  };
}

async function fleet(args: string[], extraEnv: Record<string, string> = {}) {
  return run(process.execPath, [cli, ...args], { cwd: dir, env: env(extraEnv) });
}

async function refusal(args: string[], extraEnv: Record<string, string> = {}) {
  const error = (await fleet(args, extraEnv).then(
    () => undefined,
    (e: unknown) => e
  )) as { code: number; stdout: string; stderr: string } | undefined;
  if (!error) throw new Error(`device ${args.join(' ')} succeeded`);
  return error;
}

describe('device fleet CLI', { timeout: 60_000 }, () => {
  it('enroll, rotate, retire, list and revoke, with every secret in 0600 files and none on the terminal', async () => {
    const file = join(dir, 'analyzer-cli.json');
    const enrolled = await fleet(['enroll', '--name', 'analyzer-cli', '--out', file]);
    const credentials = JSON.parse(await readFile(file, 'utf8'));
    expect(Object.keys(credentials).sort()).toEqual(['clientId', 'clientSecret', 'deviceId']);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const rotated = await fleet(['rotate', '--client', credentials.clientId, '--out', file]);
    const next = JSON.parse(await readFile(file, 'utf8'));
    expect(next.clientSecret).not.toBe(credentials.clientSecret);
    const retired = await fleet(['rotate', '--client', credentials.clientId, '--retire']);
    const listed = await fleet(['list']);
    expect(listed.stdout).toMatch(/analyzer-cli\tDevice\/\S+\tClientApplication\/\S+\tclient-credentials\tactive/);
    const revoked = await fleet(['revoke', '--client', credentials.clientId]);
    expect((await fleet(['list'])).stdout).toMatch(/analyzer-cli\t.*\trevoked/);
    const printed = [enrolled, rotated, retired, listed, revoked].map((r) => r.stdout + r.stderr).join('\n');
    for (const secret of [credentials.clientSecret, next.clientSecret, projectAdmin.secret]) {
      expect(printed).not.toContain(secret);
    }
  });

  it('bad input: one line on stderr, exit 1', async () => {
    const unknown = await refusal(['revoke', '--client', nameUuid('unknown')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('no ClientApplication');
    const clash = await refusal(['enroll', '--name', 'lab-analyzer-1', '--out', join(dir, 'x.json')]);
    expect(clash.stderr).toContain('not a fleet device');
    const missing = await refusal(['enroll', '--name', 'x1']);
    expect(missing.stderr).toContain('--out is required');
    const usage = await refusal(['frobnicate']);
    expect(usage.stderr).toContain('usage:');
  });

  it('device:rotate on a private_key_jwt device rotates nothing and points to device:rotate-key', async () => {
    const file = join(dir, 'analyzer-jwt.json');
    const jwksUrl = 'http://localhost:9/.well-known/jwks.json';
    await fleet([
      'enroll',
      '--name',
      'analyzer-jwt',
      '--auth',
      'private-key-jwt',
      '--jwks-url',
      jwksUrl,
      '--out',
      file,
    ]);
    const { clientId } = JSON.parse(await readFile(file, 'utf8'));
    for (const args of [['--out', join(dir, 'never.json')], ['--retire']]) {
      const refused = await refusal(['rotate', '--client', clientId, ...args]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toContain(`uses private_key_jwt (keys at ${jwksUrl}): it has no secret to rotate`);
      expect(refused.stderr).toContain('pnpm device:rotate-key');
    }
    await expect(stat(join(dir, 'never.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await fleet(['list'])).stdout).toMatch(/analyzer-jwt\t.*\tprivate-key-jwt\tactive\n/);
  });

  it('missing admin credentials and an unreachable Medplum: one clear message, exit 1', async () => {
    const noAdmin = await refusal(['list'], {
      MEDPLUM_BASE_URL: 'https://api.medplum.example/',
      MEDPLUM_ADMIN_CLIENT_ID: '',
      MEDPLUM_ADMIN_CLIENT_SECRET: '',
    });
    expect(noAdmin.code).toBe(1);
    expect(noAdmin.stderr).toContain('MEDPLUM_ADMIN_CLIENT_ID');
    const unreachable = await refusal(['list'], { MEDPLUM_BASE_URL: 'http://127.0.0.1:9/' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('could not sign in to http://127.0.0.1:9/');
    expect(unreachable.stderr).not.toContain(projectAdmin.secret);
  });

  it('on a local emulator without admin settings, uses the dev admin of its seed (pnpm dev)', async () => {
    const listed = await fleet(['list'], { MEDPLUM_ADMIN_CLIENT_ID: '', MEDPLUM_ADMIN_CLIENT_SECRET: '' });
    expect(listed.stdout).toMatch(/analyzer-cli|no fleet devices/);
    expect(listed.stdout + listed.stderr).not.toContain(DEV_ADMIN.secret);
  });
});

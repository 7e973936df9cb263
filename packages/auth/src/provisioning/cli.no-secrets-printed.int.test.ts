import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ADMIN } from './dev-admin.ts';
import { DEV_OPTIONS } from './testing/config.ts';

const run = promisify(execFile);
const cli = join(import.meta.dirname, 'cli.ts');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'auth-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The CLI in a folder without env files, with only PATH/HOME from this environment. */
function cliEnv(extra: Record<string, string> = {}) {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...extra };
}

/** A non-loopback Medplum with real-looking values for everything provisioning writes. */
const realSettings = {
  MEDPLUM_BASE_URL: 'https://api.medplum.example/',
  MEDPLUM_ADMIN_CLIENT_ID: 'admin',
  MEDPLUM_ADMIN_CLIENT_SECRET: 'admin-secret-never-printed',
  DEV_PRACTITIONER_EMAIL: 'dana@clinic.test',
  DEV_PRACTITIONER_PASSWORD: 'a-real-password-1234',
  IDP_CLIENT_SECRET: 'a-real-idp-secret-0123456789',
  DEVICE_WEBHOOK_PASSWORD: 'a-real-webhook-password-123',
  DEVICE_WEBHOOK_SECRET: 'a-real-webhook-hmac-secret-0123456789abcdef',
};

const secrets = [
  DEV_OPTIONS.proxy.clientSecret,
  DEV_OPTIONS.device.clientSecret,
  DEV_OPTIONS.device.webhook.secret,
  DEV_OPTIONS.device.webhook.password,
  DEV_OPTIONS.externalIdp.clientSecret,
  DEV_OPTIONS.devUser.password,
];

// Each case starts a Node process; generous per-test time, no timing assertions.
describe('provisioning CLI', { timeout: 60_000 }, () => {
  it('seed writes the Bundle (mode 0600) and prints no secret', async () => {
    const out = join(dir, 'seed.json');
    const { stdout, stderr } = await run(process.execPath, [cli, 'seed', '--out', out], { cwd: dir, env: cliEnv() });
    const bundle = JSON.parse(await readFile(out, 'utf8'));
    expect(bundle.resourceType).toBe('Bundle');
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    for (const secret of secrets) expect(stdout + stderr).not.toContain(secret);
  });

  it('seed takes the public URLs of the web app and the device', async () => {
    const out = join(dir, 'seed-public.json');
    const args = [
      'seed',
      '--out',
      out,
      '--web-origin',
      'https://app.clinic.example',
      '--device-url',
      'https://lab.example/',
    ];
    await run(process.execPath, [cli, ...args], { cwd: dir, env: cliEnv() });
    const text = await readFile(out, 'utf8');
    expect(text).toContain('"endpoint": "https://lab.example/webhooks/medplum"');
    expect(text).toContain('"jwksUri": "https://lab.example/.well-known/jwks.json"');
    expect(text).toContain('"https://app.clinic.example/');
    expect(text).not.toContain('http://localhost:3000');
  });

  it("seed sets one client's access-token lifetime, or every client's", async () => {
    const out = join(dir, 'seed-lifetimes.json');
    const args = ['seed', '--out', out, '--access-token-lifetime', '2h', '--access-token-lifetime', 'web=1m'];
    await run(process.execPath, [cli, ...args], { cwd: dir, env: cliEnv() });
    const bundle = JSON.parse(await readFile(out, 'utf8')) as { entry: { resource: Record<string, unknown> }[] };
    const lifetimes = Object.fromEntries(
      bundle.entry
        .map((entry) => entry.resource)
        .filter((resource) => resource.resourceType === 'ClientApplication')
        .map((client) => [client.id, client.accessTokenLifetime])
    );
    expect(lifetimes).toEqual({
      [DEV_OPTIONS.web.clientId]: '1m',
      [DEV_OPTIONS.proxy.clientId]: '2h',
      [DEV_OPTIONS.device.clientId]: '2h',
      [DEV_OPTIONS.pipeline.clientId]: '2h',
      // The emulator's dev admin (seed only) keeps Medplum's default.
      [DEV_ADMIN.clientId]: undefined,
    });
  });

  it('refuses a malformed access-token lifetime', async () => {
    const args = ['seed', '--out', join(dir, 'y.json'), '--access-token-lifetime', 'web=soon'];
    const error = await run(process.execPath, [cli, ...args], { cwd: dir, env: cliEnv() }).catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('--access-token-lifetime takes a lifetime such as 1h');
  });

  it('refuses a web origin with a path, with one clear line and exit code 1', async () => {
    const error = await run(
      process.execPath,
      [cli, 'seed', '--out', join(dir, 'x.json'), '--web-origin', 'https://app.example/x'],
      {
        cwd: dir,
        env: cliEnv(),
      }
    ).catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr.trim()).toBe(
      'failed: --web-origin takes an origin such as https://app.example.org (no path), got https://app.example/x'
    );
  });

  it('provision refuses a Medplum off this machine without admin credentials, and says which variables it needs', async () => {
    const noAdmin = { ...realSettings, MEDPLUM_ADMIN_CLIENT_ID: '', MEDPLUM_ADMIN_CLIENT_SECRET: '' };
    const error = await run(process.execPath, [cli, 'provision'], { cwd: dir, env: cliEnv(noAdmin) }).catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('provision of https://api.medplum.example/ needs a project-admin ClientApplication');
    expect(error.stderr).toContain('MEDPLUM_ADMIN_CLIENT_SECRET');
    // Never the local fallback: neither tried nor named.
    expect(error.stderr).not.toContain('tried the dev admin');
    expect(error.stdout + error.stderr).not.toContain(DEV_ADMIN.clientId);
  });

  it('provision reports a Medplum it cannot sign in to, without the secret', async () => {
    const error = await run(process.execPath, [cli, 'provision', '--check'], {
      cwd: dir,
      env: cliEnv({
        MEDPLUM_BASE_URL: 'http://127.0.0.1:9/',
        MEDPLUM_ADMIN_CLIENT_ID: 'admin',
        MEDPLUM_ADMIN_CLIENT_SECRET: 'admin-secret-never-printed',
      }),
    }).catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('could not sign in');
    expect(error.stdout + error.stderr).not.toContain('admin-secret-never-printed');
  });

  it('refuses the placeholder practitioner email against a real (non-loopback) Medplum', async () => {
    const error = await run(process.execPath, [cli, 'provision'], {
      cwd: dir,
      env: cliEnv({ ...realSettings, DEV_PRACTITIONER_EMAIL: 'practitioner@example.com' }),
    }).catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('placeholder address');
  });

  it('against a real Medplum, needs no client secrets (Medplum makes them) but refuses dev-default secrets it would write', async () => {
    const error = await run(process.execPath, [cli, 'provision'], {
      cwd: dir,
      env: cliEnv({ ...realSettings, DEVICE_WEBHOOK_SECRET: '' }),
    }).catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('DEVICE_WEBHOOK_SECRET');
    expect(error.stderr).not.toContain('PROXY_MEDPLUM_CLIENT_SECRET');
    expect(error.stderr).not.toContain('DEVICE_MEDPLUM_CLIENT_SECRET');
  });

  it('refuses an unknown command', async () => {
    const error = await run(process.execPath, [cli, 'frobnicate'], { cwd: dir, env: cliEnv() }).catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('usage');
  });
});

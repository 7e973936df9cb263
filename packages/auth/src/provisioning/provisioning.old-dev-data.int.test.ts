import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MedplumClient } from '@medplum/core';
import type { AccessPolicy, Bundle, Patient } from '@medplum/fhirtypes';
import { type RunningEmulator, startEmulator } from '@org/medplum-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_KEYS, SEED_IDS, SYSTEMS } from '../ids.ts';
import { signInAsClient } from '../testing/sign-in.ts';
import { DEV_ADMIN_TRIED } from './admin-client.ts';
import { DEV_ADMIN, projectAdminEntries } from './dev-admin.ts';
import { buildAuthModel, buildEmulatorSeed } from './model/index.ts';
import { CATALOG_TYPES } from './model/policies.ts';
import { provisionProject } from './provision.ts';
import { DEV_OPTIONS } from './testing/config.ts';

// Integration: `pnpm dev` on a .data/ written before the auth model changed. The emulator's seed only adds what its
// data file never held, so an edited policy and a deleted client survive a restart; `provision` (a separate process,
// over HTTP, with no admin settings: the seed's dev admin) brings them to the model and keeps the users' data.
const run = promisify(execFile);
const cli = join(import.meta.dirname, 'cli.ts');
const options = { ...DEV_OPTIONS, bcryptRounds: 4 };
const model = buildAuthModel(options);
/** What `pnpm dev` seeds: the model plus the dev admin. */
const devSeed: Bundle = buildEmulatorSeed(options);
devSeed.entry?.push(...projectAdminEntries(SEED_IDS.project, DEV_ADMIN));

let dir: string;
let dataFile: string;
let emulator: RunningEmulator | undefined;
let keptPatient: Patient;

const startDevEmulator = (seed: Bundle, file?: string) =>
  startEmulator({ port: 0, seed, authRateLimit: 100_000, log: () => {}, ...(file ? { dataFile: file } : {}) });
const signInAsDevAdmin = (url: string) =>
  signInAsClient(url, { clientId: DEV_ADMIN.clientId, clientSecret: DEV_ADMIN.secret });
const practitionerPolicy = (admin: MedplumClient) =>
  admin.searchOne('AccessPolicy', { _tag: `${SYSTEMS.provisioning}|${MODEL_KEYS.practitionerPolicy}` });

/** `provision --quiet` as `pnpm dev` runs it: no admin settings, no env files (a folder outside the repository). */
function provisionCli(url: string) {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MEDPLUM_BASE_URL: url };
  const args = [cli, 'provision', '--quiet', '--env-out', join(dir, '.env.local')];
  return run(process.execPath, args, { cwd: dir, env }).catch((e: { stdout: string; stderr: string }) => {
    throw new Error(`provision failed:\n${e.stdout}\n${e.stderr}`);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'auth-old-dev-data-'));
  dataFile = join(dir, 'emulator.json');
  // An earlier `pnpm dev`: someone's patient, the practitioner policy in its shape from before the lab catalogue, and
  // the pipeline's client gone.
  const earlier = await startDevEmulator(devSeed, dataFile);
  const admin = await signInAsDevAdmin(earlier.url);
  keptPatient = await admin.createResource<Patient>({ resourceType: 'Patient', name: [{ family: 'Kept' }] });
  const policy = (await practitionerPolicy(admin)) as AccessPolicy;
  const older = policy.resource?.filter((r) => !(CATALOG_TYPES as readonly string[]).includes(r.resourceType ?? ''));
  await admin.updateResource<AccessPolicy>({ ...policy, resource: older ?? [] });
  await admin.deleteResource('ClientApplication', options.pipeline.clientId);
  await earlier.stop();
  emulator = await startDevEmulator(devSeed, dataFile);
}, 60_000);
afterAll(async () => {
  await emulator?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('`pnpm dev` on old .data/: provision with the dev admin brings it to the model', { timeout: 60_000 }, () => {
  it('a restart alone keeps the old state (the seed never overwrites the data file)', async () => {
    const admin = await signInAsDevAdmin(emulator?.url ?? '');
    const check = await provisionProject(admin, model, { check: true });
    const off = check.steps.filter((s) => s.action !== 'unchanged').map((s) => `${s.action} ${s.key}`);
    expect(off).toEqual(
      expect.arrayContaining([`drift ${MODEL_KEYS.practitionerPolicy}`, `missing ${MODEL_KEYS.pipelineClient}`])
    );
  });

  it('updates the policy, creates the missing client, keeps the data and prints no secret', async () => {
    const url = emulator?.url ?? '';
    const { stdout, stderr } = await provisionCli(url);
    expect(stdout).toMatch(/updated +access-policy\/practitioner .*\[resource\]/);
    expect(stdout).toMatch(/created +client\/pipeline/);
    // Medplum's admin endpoint made the client's membership; provisioning then adds the model's tag to it.
    expect(stdout).toMatch(/updated +membership\/pipeline .*\[meta\.tag\]/);
    expect(stdout).toMatch(/provisioned http:\/\/localhost:\d+\/: 1 created, 2 updated, \d+ unchanged/);
    const admin = await signInAsDevAdmin(url);
    expect((await provisionProject(admin, model, { check: true })).counts).toMatchObject({ drift: 0, missing: 0 });
    expect((await admin.readResource('Patient', keptPatient.id ?? '')).name).toEqual([{ family: 'Kept' }]);
    // The new client's id and Medplum-generated secret went to the env file only, and they sign in.
    const envFile = await readFile(join(dir, '.env.local'), 'utf8');
    const clientId = /^PIPELINE_MEDPLUM_CLIENT_ID=(.+)$/m.exec(envFile)?.[1] ?? '';
    const clientSecret = /^PIPELINE_MEDPLUM_CLIENT_SECRET=(.+)$/m.exec(envFile)?.[1] ?? '';
    await expect(signInAsClient(url, { clientId, clientSecret })).resolves.toBeDefined();
    for (const secret of [clientSecret, DEV_ADMIN.secret]) expect(stdout + stderr).not.toContain(secret);
  });

  it('a second run writes nothing and prints one line', async () => {
    const envBefore = await readFile(join(dir, '.env.local'), 'utf8');
    const { stdout } = await provisionCli(emulator?.url ?? '');
    expect(stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^provisioned http:\/\/localhost:\d+\/: 0 created, 0 updated, \d+ unchanged$/),
    ]);
    expect(await readFile(join(dir, '.env.local'), 'utf8')).toBe(envBefore);
  });

  it("a local Medplum without the dev seed's admin refuses it: one clear message, exit 1", async () => {
    const withoutDevAdmin = await startDevEmulator(buildEmulatorSeed(options));
    try {
      const error = await provisionCli(withoutDevAdmin.url).then(
        () => undefined,
        (e: Error) => e
      );
      expect(error?.message).toContain(`could not sign in to ${withoutDevAdmin.url} as the admin client`);
      expect(error?.message).toContain(DEV_ADMIN_TRIED);
      expect(error?.message).not.toContain(DEV_ADMIN.secret);
    } finally {
      await withoutDevAdmin.stop();
    }
  });
});

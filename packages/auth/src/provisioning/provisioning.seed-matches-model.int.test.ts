import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MedplumClient } from '@medplum/core';
import type { startEmulator } from '@org/medplum-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../ids.ts';
import { nameUuid } from './ids.ts';
import { buildAuthModel, buildEmulatorSeed } from './model/index.ts';
import { provisionProject } from './provision.ts';
import { DEV_OPTIONS } from './testing/config.ts';
import { projectAdminEntries, startEmulatorAsAdmin } from './testing/project-admin.ts';

// Integration: an emulator seeded with the model already *is* the model, so provisioning it (as a project admin
// without an access policy, over real HTTP) finds every resource by its identifier or tag and changes nothing.
const projectAdmin = {
  clientId: nameUuid('ClientApplication/seed-check-admin'),
  membershipId: nameUuid('ProjectMembership/seed-check-admin'),
  name: 'Provisioning admin (test)',
  secret: 'seed-check-admin-secret-0123456789',
};

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let admin: MedplumClient;
const options = { ...DEV_OPTIONS, bcryptRounds: 4 };
const model = buildAuthModel(options);

beforeAll(async () => {
  const seed = buildEmulatorSeed(options);
  seed.entry?.push(...projectAdminEntries(SEED_IDS.project, projectAdmin));
  ({ emulator, admin } = await startEmulatorAsAdmin(seed, projectAdmin));
});
afterAll(async () => {
  await emulator?.stop();
});

describe('the seeded emulator matches the model', () => {
  it('--check finds every resource and no drift', async () => {
    const report = await provisionProject(admin, model, { check: true });
    expect(report.projectId).toBe(SEED_IDS.project);
    expect(report.steps.filter((s) => s.action !== 'unchanged')).toEqual([]);
  });

  it('provisioning it creates and updates nothing', async () => {
    const report = await provisionProject(admin, model);
    expect(report.counts).toMatchObject({ created: 0, updated: 0, missing: 0, drift: 0 });
    expect(report.newClients).toEqual([]);
  });

  it('the CLI agrees: `provision --check` exits 0, `provision` changes nothing and writes no env file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'auth-cli-check-'));
    try {
      const env = {
        PATH: process.env.PATH ?? '',
        MEDPLUM_BASE_URL: emulator.url,
        MEDPLUM_ADMIN_CLIENT_ID: projectAdmin.clientId,
        MEDPLUM_ADMIN_CLIENT_SECRET: projectAdmin.secret,
      };
      const cli = join(import.meta.dirname, 'cli.ts');
      const run = promisify(execFile);
      const check = await run(process.execPath, [cli, 'provision', '--check'], { cwd: dir, env }).catch((e) => {
        throw new Error(`${e.stdout}\n${e.stderr}`);
      });
      expect(check.stdout).toContain('0 created, 0 updated');
      expect(check.stdout).toContain('0 drifted, 0 missing');
      const apply = await run(process.execPath, [cli, 'provision'], { cwd: dir, env });
      expect(apply.stdout).toContain('0 created, 0 updated');
      expect(apply.stdout + check.stdout).not.toContain(projectAdmin.secret);
      expect(existsSync(join(dir, '.env.local'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ObservationDefinition } from '@medplum/fhirtypes';
import { type SeededEmulator, signInAsClient, startSeededEmulator } from '@org/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The CLI as CI runs it: a separate process, settings from the environment only, exit codes CI can act on.
const run = promisify(execFile);
const cli = join(import.meta.dirname, 'cli.ts');
let seeded: SeededEmulator;

beforeAll(async () => {
  seeded = await startSeededEmulator();
});
afterAll(async () => {
  await seeded?.emulator.stop();
});

function env(extra: Record<string, string> = {}) {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    MEDPLUM_BASE_URL: seeded.emulator.url,
    PIPELINE_MEDPLUM_CLIENT_ID: seeded.clients.pipeline.clientId,
    PIPELINE_MEDPLUM_CLIENT_SECRET: seeded.clients.pipeline.clientSecret,
    ...extra,
  };
}

async function pipeline(args: string[], extra: Record<string, string> = {}) {
  return run(process.execPath, [cli, ...args], { env: env(extra) }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error
  );
}

describe('catalogue pipeline CLI', { timeout: 60_000 }, () => {
  it('--check fails before the first publish, publishing shows progress, then --check passes', async () => {
    const before = await pipeline(['--check']);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('drift');
    const published = await pipeline([]);
    expect(published.code).toBe(0);
    expect(published.stdout).toMatch(/\[1\/\d+\] created ObservationDefinition/);
    expect(published.stdout).toMatch(/unchanged$/m);
    const after = await pipeline(['--check']);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('0 created, 0 updated, 0 retired');
    for (const output of [before, published, after]) {
      expect(output.stdout + output.stderr).not.toContain(seeded.clients.pipeline.clientSecret);
    }
  });

  it('--dry-run prints the diff of a drifted resource and writes nothing', async () => {
    const medplum = await signInAsClient(seeded.emulator.url, seeded.clients.pipeline);
    const glucose = (await medplum.searchOne('ObservationDefinition', {
      code: 'http://loinc.org|2345-7',
    })) as ObservationDefinition;
    await medplum.updateResource({ ...glucose, permittedDataType: ['string'] });
    const dry = await pipeline(['--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would be updated ObservationDefinition 2345-7');
    expect(dry.stdout).toContain('permittedDataType: ["string"] -> ["Quantity"]');
    expect((await pipeline(['--check'])).code).toBe(1);
  });

  it('a refused client secret: one line, exit 1, no secret', async () => {
    const refused = await pipeline([], { PIPELINE_MEDPLUM_CLIENT_SECRET: 'not-the-pipeline-secret-0123' });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('could not sign in');
    expect(refused.stderr).not.toContain('not-the-pipeline-secret-0123');
  });
});

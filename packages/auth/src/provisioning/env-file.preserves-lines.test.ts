import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { updateEnvFile } from './env-file.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'envfile-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writing client credentials to .env.local', () => {
  it('creates the file readable by its owner only', async () => {
    const file = join(dir, '.env.local');
    expect(await updateEnvFile(file, { PROXY_MEDPLUM_CLIENT_ID: 'abc' })).toEqual(['PROXY_MEDPLUM_CLIENT_ID']);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(parseEnv(await readFile(file, 'utf8'))).toEqual({ PROXY_MEDPLUM_CLIENT_ID: 'abc' });
  });

  it('replaces existing assignments and keeps comments and other variables', async () => {
    const file = join(dir, '.env.local');
    await writeFile(file, '# mine\nOTHER=1\nPROXY_MEDPLUM_CLIENT_ID=old\n');
    await updateEnvFile(file, { PROXY_MEDPLUM_CLIENT_ID: 'new', PROXY_MEDPLUM_CLIENT_SECRET: 's3cr#t value' });
    const text = await readFile(file, 'utf8');
    expect(text.startsWith('# mine\nOTHER=1\n')).toBe(true);
    expect(parseEnv(text)).toEqual({
      OTHER: '1',
      PROXY_MEDPLUM_CLIENT_ID: 'new',
      PROXY_MEDPLUM_CLIENT_SECRET: 's3cr#t value',
    });
  });

  it('refuses values with line breaks and bad names', async () => {
    const file = join(dir, '.env.local');
    await expect(updateEnvFile(file, { A: 'x\nB=y' })).rejects.toThrow(/line breaks/);
    await expect(updateEnvFile(file, { 'bad name': 'x' })).rejects.toThrow(/invalid variable/);
  });
});

import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = pathToFileURL(`${import.meta.dirname}/index.ts`).href;

/** Runs a real Node process the way an app's entry point would, with only the given environment. */
function runEntryPoint(env: Record<string, string>) {
  const script = `
    import { composeSchemas, loadConfigOrExit, medplumSchema, proxySchema } from ${JSON.stringify(entry)};
    const config = loadConfigOrExit(composeSchemas(medplumSchema, proxySchema), { envFiles: [] });
    console.log('started on port', config.PROXY_PORT);
  `;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
}

describe('loadConfigOrExit', () => {
  it('prints one message listing every problem and exits 1, without a stack trace or a secret', () => {
    const result = runEntryPoint({ MEDPLUM_BASE_URL: 'nope', PROXY_PORT: 'x', PROXY_SESSION_SECRET: 'short-secret' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Invalid configuration \(3 problems\):/);
    expect(result.stderr).toContain('MEDPLUM_BASE_URL expected an http:// or https:// URL');
    expect(result.stderr).toContain('PROXY_PORT expected a port number');
    expect(result.stderr).toContain('PROXY_SESSION_SECRET must be at least 32 characters (value hidden)');
    expect(result.stderr).not.toContain('short-secret');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('starts normally with an empty environment', () => {
    const result = runEntryPoint({});
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('started on port 3001');
    expect(result.status).toBe(0);
  });
});

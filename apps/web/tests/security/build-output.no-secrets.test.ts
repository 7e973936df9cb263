/**
 * Nothing secret in the build: every secret value of the whole server-side configuration (every @org/config schema,
 * loaded from this environment and the repo's .env files, plus each secret's public development default) is looked
 * for in every file of `.next/` — the browser bundles and the server output alike.
 *
 * Needs a build (`pnpm --filter @org/web build`); turbo's `test` task depends on `build`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { allSchemas, composeSchemas, fieldInfo, loadConfig } from '@org/config';
import { describe, expect, it } from 'vitest';

const appDir = join(import.meta.dirname, '..', '..');
const nextDir = join(appDir, '.next');

type Field = Parameters<(typeof fieldInfo)['get']>[0] & {
  safeParse(input: unknown): { success: boolean; data?: unknown };
};

function secretValues(): Map<string, string> {
  const schema = composeSchemas(...Object.values(allSchemas));
  const config = loadConfig(schema) as Record<string, unknown>;
  const secrets = new Map<string, string>();
  for (const [name, field] of Object.entries(schema.shape)) {
    if (!fieldInfo.get(field as Field)?.secret) continue;
    const value = config[name];
    if (typeof value === 'string' && value.length > 0) secrets.set(`${name} (configured)`, value);
    const devDefault = (field as Field).safeParse(undefined);
    if (devDefault.success && typeof devDefault.data === 'string')
      secrets.set(`${name} (dev default)`, devDefault.data);
  }
  return secrets;
}

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    // .next/cache holds compiler caches, not output; .next/dev is `next dev`'s.
    if (path === join(nextDir, 'cache') || path === join(nextDir, 'dev')) continue;
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

describe('the production build', () => {
  it('exists (run `pnpm --filter @org/web build` first; turbo does)', () => {
    expect(existsSync(join(nextDir, 'BUILD_ID')), `${nextDir} has no build`).toBe(true);
  });

  it('contains no secret value from the server configuration', () => {
    const secrets = secretValues();
    // The schemas hold at least the proxy, device, webhook, IdP and dev-user secrets.
    expect(secrets.size).toBeGreaterThanOrEqual(8);
    const leaks: string[] = [];
    let scanned = 0;
    let browserFiles = 0;
    for (const file of files(nextDir)) {
      const content = readFileSync(file);
      scanned += 1;
      if (relative(nextDir, file).startsWith('static')) browserFiles += 1;
      for (const [name, value] of secrets) {
        if (content.includes(value)) leaks.push(`${name} in ${relative(appDir, file)}`);
      }
    }
    expect(browserFiles, 'no browser bundles found under .next/static').toBeGreaterThan(0);
    expect(scanned).toBeGreaterThan(browserFiles);
    expect(leaks).toEqual([]);
  });

  it('does contain the public configuration (so the scan is looking at the right files)', () => {
    const bundles = [...files(join(nextDir, 'static'))].map((file) => readFileSync(file, 'utf8')).join('\n');
    expect(bundles).toContain(loadConfig(allSchemas.web).NEXT_PUBLIC_MEDPLUM_CLIENT_ID);
  });

  it('ships no schema validator: the configuration was validated at build time, the browser gets constants', () => {
    const withZod = [...files(join(nextDir, 'static'))].filter((file) =>
      readFileSync(file, 'utf8').includes('ZodError')
    );
    expect(withZod.map((file) => relative(appDir, file))).toEqual([]);
  });
});

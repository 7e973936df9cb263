import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ConfigError,
  composeSchemas,
  DEV_PROXY_CLIENT_ID,
  deviceSchema,
  emulatorSchema,
  loadConfig,
  loadEnvInput,
  medplumSchema,
  proxySchema,
  workspaceRoot,
} from './index.ts';

const proxyConfig = composeSchemas(medplumSchema, proxySchema);

function problemsOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('defaults every variable to the local emulator and its seed', () => {
    const config = loadConfig(proxyConfig, { env: {}, envFiles: [] });
    expect(config.MEDPLUM_BASE_URL).toBe('http://localhost:8103/');
    expect(config.PROXY_PORT).toBe(3001);
    expect(config.PROXY_MEDPLUM_CLIENT_ID).toBe(DEV_PROXY_CLIENT_ID);
    expect(Object.isFrozen(config)).toBe(true);
    expectTypeOf(config.PROXY_PORT).toEqualTypeOf<number>();
    expectTypeOf(config.MEDPLUM_BASE_URL).toEqualTypeOf<string>();
  });

  it('normalises URLs with the trailing slash MedplumClient expects', () => {
    const config = loadConfig(medplumSchema, { env: { MEDPLUM_BASE_URL: 'http://127.0.0.1:9000/api' }, envFiles: [] });
    expect(config.MEDPLUM_BASE_URL).toBe('http://127.0.0.1:9000/api/');
  });

  it('treats an empty value as unset', () => {
    const config = loadConfig(proxyConfig, { env: { PROXY_PORT: '' }, envFiles: [] });
    expect(config.PROXY_PORT).toBe(3001);
  });

  it.each([
    ['MEDPLUM_BASE_URL', 'localhost:8103', 'expected an http:// or https:// URL'],
    ['MEDPLUM_BASE_URL', 'ftp://example.com/', 'expected an http:// or https:// URL'],
    ['PROXY_PORT', 'abc', 'expected a port number from 0 to 65535'],
    ['PROXY_PORT', '70000', 'expected a port number from 0 to 65535'],
    ['PROXY_MEDPLUM_CLIENT_SECRET', 'short', 'must be at least 16 characters'],
  ])('rejects %s=%s', (variable, value, message) => {
    const error = problemsOf(() => loadConfig(proxyConfig, { env: { [variable]: value }, envFiles: [] }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]?.variable).toBe(variable);
    expect(error.problems[0]?.message).toContain(message);
    expect(error.problems[0]?.example).toMatch(new RegExp(`^${variable}=`));
  });

  it('rejects a value outside an enumeration, naming the choices', () => {
    const error = problemsOf(() => loadConfig(deviceSchema, { env: { DEVICE_AUTH_METHOD: 'oauth' }, envFiles: [] }));
    expect(error.message).toContain('DEVICE_AUTH_METHOD expected one of: client-credentials, basic, private-key-jwt');
    expect(error.message).toContain('got "oauth"');
  });

  it('rejects origin lists with a path or a non-URL', () => {
    const error = problemsOf(() =>
      loadConfig(emulatorSchema, { env: { EMULATOR_ALLOWED_ORIGINS: 'http://localhost:3000/app,nope' }, envFiles: [] })
    );
    expect(error.problems.every((problem) => problem.variable === 'EMULATOR_ALLOWED_ORIGINS')).toBe(true);
  });

  it('lists every problem in one error', () => {
    const error = problemsOf(() =>
      loadConfig(proxyConfig, {
        env: { MEDPLUM_BASE_URL: 'nope', PROXY_PORT: '-1', PROXY_SESSION_SECRET: 'x' },
        envFiles: [],
      })
    );
    expect(error.problems.map((problem) => problem.variable).sort()).toEqual([
      'MEDPLUM_BASE_URL',
      'PROXY_PORT',
      'PROXY_SESSION_SECRET',
    ]);
    expect(error.message).toMatch(/^Invalid configuration \(3 problems\):/);
    expect(error.message).toContain('.env.example');
  });

  it('never echoes the value of a secret', () => {
    const leaked = 'hunter2-leaked';
    const error = problemsOf(() =>
      loadConfig(proxyConfig, { env: { PROXY_SESSION_SECRET: leaked, PROXY_PORT: 'x' }, envFiles: [] })
    );
    expect(error.message).not.toContain(leaked);
    expect(error.message).toContain('PROXY_SESSION_SECRET must be at least 32 characters (value hidden)');
    expect(error.message).toContain('got "x"');
  });

  it('refuses the public dev secrets when Medplum is not on this machine', () => {
    const error = problemsOf(() =>
      loadConfig(proxyConfig, { env: { MEDPLUM_BASE_URL: 'https://api.medplum.com/' }, envFiles: [] })
    );
    expect(error.problems.map((problem) => problem.variable).sort()).toEqual([
      'LEGACY_DEV_PASSWORD',
      'PROXY_MEDPLUM_CLIENT_SECRET',
      'PROXY_SESSION_SECRET',
    ]);
    expect(error.message).toContain('public development default');
    expect(error.message).not.toContain('dev-only-proxy');
  });

  it.each([
    ['PROXY_PUBLIC_URL', 'https://clinic.example.org/'],
    ['PROXY_LISTEN_HOST', '0.0.0.0'],
    ['PROXY_LISTEN_HOST', '192.168.1.20'],
  ])('refuses the public dev secrets when %s=%s puts the app off this machine, naming it', (variable, value) => {
    const error = problemsOf(() => loadConfig(proxyConfig, { env: { [variable]: value }, envFiles: [] }));
    expect(error.problems.map((problem) => problem.variable).sort()).toEqual([
      'LEGACY_DEV_PASSWORD',
      'PROXY_MEDPLUM_CLIENT_SECRET',
      'PROXY_SESSION_SECRET',
    ]);
    expect(error.message).toContain(`refused because ${variable} is not on this machine`);
  });

  it('keeps the dev defaults on this machine, whatever loopback spelling', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) {
      expect(loadConfig(proxyConfig, { env: { PROXY_LISTEN_HOST: host }, envFiles: [] }).PROXY_LISTEN_HOST).toBe(host);
    }
    const defaults = loadConfig(proxyConfig, { env: {}, envFiles: [] });
    expect(defaults.PROXY_LISTEN_HOST).toBe('127.0.0.1');
  });

  it('accepts real secrets against a remote Medplum', () => {
    const config = loadConfig(proxyConfig, {
      env: {
        MEDPLUM_BASE_URL: 'https://api.medplum.com',
        PROXY_MEDPLUM_CLIENT_SECRET: 'a-real-secret-from-the-vault',
        PROXY_SESSION_SECRET: 'k'.repeat(48),
        LEGACY_DEV_PASSWORD: 'another-real-one',
      },
      envFiles: [],
    });
    expect(config.MEDPLUM_BASE_URL).toBe('https://api.medplum.com/');
  });

  it('reads .env then .env.local, and the environment wins over both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    writeFileSync(join(dir, '.env'), 'PROXY_PORT=4000\nLEGACY_DEV_USERNAME=from-env-file\n');
    writeFileSync(join(dir, '.env.local'), 'PROXY_PORT=4001\n# a comment\n');
    const files = [join(dir, '.env'), join(dir, '.env.local'), join(dir, 'missing')];

    expect(loadConfig(proxyConfig, { env: {}, envFiles: files }).PROXY_PORT).toBe(4001);
    const config = loadConfig(proxyConfig, { env: { PROXY_PORT: '4002' }, envFiles: files });
    expect(config.PROXY_PORT).toBe(4002);
    expect(config.LEGACY_DEV_USERNAME).toBe('from-env-file');
  });
});

describe('composeSchemas', () => {
  it('refuses a variable defined by two concerns', () => {
    expect(() => composeSchemas(proxySchema, proxySchema)).toThrow('PROXY_PORT is defined twice');
  });
});

describe('where the configuration comes from', () => {
  it('workspaceRoot finds the folder with pnpm-workspace.yaml from anywhere inside it, and nothing outside', () => {
    const root = join(import.meta.dirname, '..', '..', '..');
    expect(workspaceRoot(join(root, 'apps', 'device', 'src'))).toBe(root);
    expect(workspaceRoot(mkdtempSync(join(tmpdir(), 'no-workspace-')))).toBeUndefined();
  });

  it('loadEnvInput: env files in order, the environment winning (what loadConfig validates)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-input-'));
    writeFileSync(join(dir, '.env'), 'DEVICE_AUTH_METHOD=basic\nPROXY_PORT=4000\n');
    writeFileSync(join(dir, '.env.local'), 'PROXY_PORT=4001\n');
    const input = loadEnvInput({ env: { PROXY_PORT: '4002' }, envFiles: [join(dir, '.env'), join(dir, '.env.local')] });
    expect(input).toMatchObject({ DEVICE_AUTH_METHOD: 'basic', PROXY_PORT: '4002' });
    const withoutEnv = loadEnvInput({ env: {}, envFiles: [join(dir, '.env'), join(dir, '.env.local')] });
    expect(withoutEnv.PROXY_PORT).toBe('4001');
  });
});

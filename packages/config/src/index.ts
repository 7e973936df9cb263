/**
 * Server-side configuration: compose the schemas an app needs and load them once at start-up.
 *
 *   const config = loadConfigOrExit(composeSchemas(medplumSchema, proxySchema));
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseEnv } from 'node:util';
import type { z } from 'zod';
import { ConfigError, type EnvInput, parseConfig } from './parse.ts';

export { type FieldInfo, fieldInfo } from './fields.ts';
export {
  ConfigError,
  type ConfigProblem,
  type EnvInput,
  formatProblems,
  isLoopback,
  isLoopbackUrl,
  parseConfig,
} from './parse.ts';
export * from './schemas.ts';

export interface LoadConfigOptions {
  /** Defaults to `process.env`; it wins over values from files. */
  env?: EnvInput;
  /** Env files, later ones winning; defaults to `.env` then `.env.local` at the repository root. */
  envFiles?: readonly string[];
}

export function loadConfig<S extends z.ZodObject>(schema: S, options: LoadConfigOptions = {}): Readonly<z.output<S>> {
  return parseConfig(schema, loadEnvInput(options));
}

/**
 * The raw values `loadConfig` validates: the env files, then the environment winning. For the rare question the parsed
 * config cannot answer, such as whether a variable was set at all or left to its default.
 */
export function loadEnvInput(options: LoadConfigOptions = {}): EnvInput {
  const files = options.envFiles ?? defaultEnvFiles();
  const fromFiles = Object.assign({}, ...files.filter((file) => existsSync(file)).map(readEnvFile)) as EnvInput;
  return { ...fromFiles, ...(options.env ?? process.env) };
}

/** For entry points: on a bad configuration print the one message (no stack trace) and exit with status 1. */
export function loadConfigOrExit<S extends z.ZodObject>(schema: S, options?: LoadConfigOptions): Readonly<z.output<S>> {
  try {
    return loadConfig(schema, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

function readEnvFile(file: string): EnvInput {
  return parseEnv(readFileSync(file, 'utf8'));
}

/** `.env` and `.env.local` in the repository root (see `workspaceRoot`), else in the starting folder. */
export function defaultEnvFiles(start = process.cwd()): string[] {
  const dir = workspaceRoot(start) ?? start;
  return [join(dir, '.env'), join(dir, '.env.local')];
}

/** The nearest folder at or above `start` that holds pnpm-workspace.yaml (the repository root), if any. */
export function workspaceRoot(start = process.cwd()): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

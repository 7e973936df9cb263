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
  const files = options.envFiles ?? defaultEnvFiles();
  const fromFiles = Object.assign({}, ...files.filter((file) => existsSync(file)).map(readEnvFile)) as EnvInput;
  return parseConfig(schema, { ...fromFiles, ...(options.env ?? process.env) });
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

/** `.env` and `.env.local` in the nearest folder at or above the working directory that holds pnpm-workspace.yaml. */
export function defaultEnvFiles(start = process.cwd()): string[] {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return [join(dir, '.env'), join(dir, '.env.local')];
    if (dirname(dir) === dir) return [join(start, '.env'), join(start, '.env.local')];
  }
}

import type { z } from 'zod';
import { devDefaults, fieldInfo } from './fields.ts';

export interface ConfigProblem {
  variable: string;
  message: string;
  example?: string;
}

/** Every problem with a configuration at once; its message is meant to be printed as is. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type EnvInput = Record<string, string | undefined>;

/**
 * Validates `input` against `schema` and returns a frozen, typed object, or throws one ConfigError listing every
 * missing or invalid variable. Values of secret variables never appear in the error.
 */
export function parseConfig<S extends z.ZodObject>(schema: S, input: EnvInput): Readonly<z.output<S>> {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = input[key];
    // `FOO=` in an env file means "not set", so the default applies.
    if (value !== undefined && value !== '') relevant[key] = value;
  }

  const result = schema.safeParse(relevant);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(config)');
      return describe(schema, variable, issue.message, relevant[variable]);
    });
    throw new ConfigError(dedupe(problems));
  }

  const problems = devDefaultProblems(schema, result.data as Record<string, unknown>);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(result.data) as Readonly<z.output<S>>;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackUrl(url: string): boolean {
  return LOOPBACK_HOSTS.has(new URL(url).hostname);
}

/** A listen address or URL that only this machine can reach. */
export function isLoopback(value: string): boolean {
  return URL.canParse(value) ? isLoopbackUrl(value) : LOOPBACK_HOSTS.has(value) || value.startsWith('127.');
}

/**
 * The dev secrets are published in this repo; they are fine on this machine and nowhere else. When any URL or listen
 * address of the configuration (`exposes` in its field info: Medplum's URL, the apps' public URLs and listen hosts)
 * points off this machine, each secret still at its dev default is a problem, and the message says which value did it.
 */
function devDefaultProblems(schema: z.ZodObject, data: Record<string, unknown>): ConfigProblem[] {
  const exposedBy = Object.entries(schema.shape).find(([variable, field]) => {
    const value = data[variable];
    return fieldInfo.get(field as z.ZodType)?.exposes && typeof value === 'string' && !isLoopback(value);
  })?.[0];
  if (!exposedBy) return [];

  const problems: ConfigProblem[] = [];
  for (const [variable, field] of Object.entries(schema.shape)) {
    const devDefault = devDefaults.get(field as z.ZodType);
    if (devDefault !== undefined && data[variable] === devDefault) {
      problems.push(
        describe(
          schema,
          variable,
          `is still the public development default, which is refused because ${exposedBy} is not on this machine; set a real secret`
        )
      );
    }
  }
  return problems;
}

function describe(schema: z.ZodObject, variable: string, message: string, received?: string): ConfigProblem {
  const info = fieldInfo.get(schema.shape[variable] as z.ZodType);
  let text = message;
  if (received !== undefined) text += info?.secret ? ' (value hidden)' : `, got ${JSON.stringify(received)}`;
  return info ? { variable, message: text, example: `${variable}=${info.example}` } : { variable, message: text };
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.variable}\0${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map(
    (problem) =>
      `  - ${problem.variable} ${problem.message}${problem.example ? `\n      example: ${problem.example}` : ''}`
  );
  return [
    `Invalid configuration (${count}):`,
    ...lines,
    'Set these in the environment or in .env at the repository root; .env.example lists every variable.',
  ].join('\n');
}

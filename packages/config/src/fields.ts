import { z } from 'zod';

/** What a person needs to know to set one variable; shown in error messages and checked against `.env.example`. */
export interface FieldInfo {
  description: string;
  /** A value that would be accepted; for secrets a hint, never a real secret. */
  example: string;
  /** The value is never printed, not even in error messages. */
  secret?: boolean;
  /**
   * A URL or listen address that says whether this configuration reaches or serves beyond this machine: when any such
   * value is not loopback, the public development secrets are refused (`parseConfig`).
   */
  exposes?: boolean;
}

export const fieldInfo = z.registry<FieldInfo>();

function withInfo<T extends z.ZodType>(schema: T, info: FieldInfo): T {
  fieldInfo.add(schema, info);
  return schema;
}

/** MedplumClient appends a slash to its base URL; doing it here keeps `new URL(path, base)` joins right everywhere else. */
export function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** A base URL: other URLs are resolved against it, so it always ends with a slash. */
export function httpUrl(defaultValue: string, info: Omit<FieldInfo, 'example'>) {
  const schema = z
    .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
    .transform(withTrailingSlash)
    .default(withTrailingSlash(defaultValue));
  return withInfo(schema, { ...info, example: defaultValue });
}

/** A base URL that only some commands need; no default, trailing slash added like `httpUrl`. */
export function optionalHttpUrl(info: FieldInfo) {
  const schema = z
    .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
    .transform(withTrailingSlash)
    .optional();
  return withInfo(schema, info);
}

/**
 * A `redis://` or `rediss://` URL (e.g. a shared store), no default: absent means "keep it in this process". Secret,
 * because the URL may carry the store's password (`redis://:password@host:6379/0`); it is never printed.
 */
export function optionalRedisUrl(info: Omit<FieldInfo, 'secret'>) {
  const schema = z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' }).optional();
  return withInfo(schema, { ...info, secret: true });
}

/**
 * The address a server listens on. Loopback by default: nothing is reachable from another machine until someone says
 * so (`0.0.0.0` for every interface, or one interface's address).
 */
export function listenHost(info: Omit<FieldInfo, 'example' | 'exposes'>) {
  const schema = z
    .string()
    .regex(/^(?:[0-9.]+|\[?[0-9a-fA-F:]+\]?|[A-Za-z0-9.-]+)$/, { error: 'expected a host name or IP address' })
    .default('127.0.0.1');
  return withInfo(schema, { ...info, example: '127.0.0.1', exposes: true });
}

/** A URL used exactly as given (an endpoint or an issuer, where a slash would change its meaning). */
export function endpointUrl(defaultValue: string, info: Omit<FieldInfo, 'example'>) {
  const schema = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).default(defaultValue);
  return withInfo(schema, { ...info, example: defaultValue });
}

export function port(defaultValue: number, info: Omit<FieldInfo, 'example'>) {
  const schema = z
    .string()
    .regex(/^\d{1,5}$/, { error: 'expected a port number from 0 to 65535' })
    .transform(Number)
    .refine((value) => value <= 65535, { error: 'expected a port number from 0 to 65535' })
    .default(defaultValue);
  return withInfo(schema, { ...info, example: String(defaultValue) });
}

export function text(defaultValue: string, info: Omit<FieldInfo, 'example'> & { example?: string }) {
  const schema = z.string().min(1, { error: 'must not be empty' }).default(defaultValue);
  return withInfo(schema, { example: defaultValue, ...info });
}

export function optionalText(info: FieldInfo) {
  return withInfo(z.string().min(1).optional(), info);
}

export function positiveInt(defaultValue: number, info: Omit<FieldInfo, 'example'>) {
  const schema = z
    .string()
    .regex(/^[1-9]\d*$/, { error: 'expected a whole number greater than 0' })
    .transform(Number)
    .default(defaultValue);
  return withInfo(schema, { ...info, example: String(defaultValue) });
}

export function email(defaultValue: string, info: Omit<FieldInfo, 'example'>) {
  return withInfo(z.email({ error: 'expected an email address' }).default(defaultValue), {
    ...info,
    example: defaultValue,
  });
}

/**
 * A secret with a public development default, so `pnpm dev` runs with an empty environment. `loadConfig` refuses
 * the dev default whenever the config points at a Medplum that is not on this machine (see `devDefaultProblems`).
 */
export function secret(devDefault: string, info: { description: string; minLength: number; example?: string }) {
  const schema = z
    .string()
    .min(info.minLength, { error: `must be at least ${info.minLength} characters` })
    .default(devDefault);
  devDefaults.set(schema, devDefault);
  return withInfo(schema, {
    description: info.description,
    example: info.example ?? `<at least ${info.minLength} random characters, e.g. from \`openssl rand -base64 32\`>`,
    secret: true,
  });
}

/** A secret with no default: only some commands need it, and they say so when it is missing. */
export function optionalSecret(info: { description: string; minLength: number }) {
  const schema = z
    .string()
    .min(info.minLength, { error: `must be at least ${info.minLength} characters` })
    .optional();
  return withInfo(schema, {
    description: info.description,
    example: `<the secret shown once when the ClientApplication was created>`,
    secret: true,
  });
}

/** Secret schemas → their public development default. */
export const devDefaults = new WeakMap<z.ZodType, string>();

export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  defaultValue: T[number],
  info: Omit<FieldInfo, 'example'>
) {
  const schema = z.enum(values, { error: `expected one of: ${values.join(', ')}` }).default(defaultValue);
  return withInfo(schema, { ...info, example: defaultValue });
}

/** A comma-separated list of origins (scheme://host[:port], no path). */
export function originList(defaultValue: string, info: Omit<FieldInfo, 'example'>) {
  const origin = z
    .string()
    .refine(isOrigin, { error: 'expected origins like http://localhost:3000 (scheme, host and port; no path)' })
    .transform((value) => new URL(value).origin);
  const schema = z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    )
    .pipe(z.array(origin).min(1, { error: 'expected at least one origin' }))
    .default(defaultValue.split(','));
  return withInfo(schema, { ...info, example: defaultValue });
}

function isOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '');
}

import { z } from 'zod';
import {
  email,
  endpointUrl,
  httpUrl,
  listenHost,
  oneOf,
  optionalHttpUrl,
  optionalRedisUrl,
  optionalSecret,
  optionalText,
  originList,
  port,
  positiveInt,
  secret,
  text,
} from './fields.ts';

export { DEV_WEB_CLIENT_ID, webBrowserSchema } from './browser-schema.ts';

import { webBrowserSchema } from './browser-schema.ts';

/**
 * One schema per concern; apps compose the ones they need (`composeSchemas`). Every default points at the local
 * emulator and its seed, so `pnpm dev` works with an empty environment. The dev client ids and secrets below are the
 * ones `@org/auth` seeds the emulator with; they are public and refused against a real Medplum.
 */

export const DEV_PROXY_CLIENT_ID = 'f6c226c7-5376-4121-80dc-0923ae7d0649';
export const DEV_DEVICE_CLIENT_ID = 'bd3c6f1b-133e-4c39-afbf-b2607e82c0d8';
export const DEV_PIPELINE_CLIENT_ID = 'ba892483-299f-4eb2-87a7-e4ee2123d19b';

/** Server-side connection to Medplum: the proxy, the device, provisioning. */
export const medplumSchema = z.object({
  MEDPLUM_BASE_URL: httpUrl('http://localhost:8103/', {
    description:
      'Base URL of the Medplum server (the local emulator by default; https://api.medplum.com/ for the hosted service)',
    exposes: true,
  }),
});

/** The external identity provider as Medplum sees it (server side: its client secret lives in Medplum, never in the browser). */
export const identityProviderSchema = z.object({
  IDP_PORT: port(8104, { description: 'Port of the local "Acme SSO" identity provider started with the emulator' }),
  IDP_ISSUER: endpointUrl('http://localhost:8104', {
    description: 'Issuer of the external identity provider, exactly as in its ID tokens (no slash added)',
    exposes: true,
  }),
  IDP_CLIENT_SECRET: secret('dev-only-acme-sso-client-secret-not-for-production', {
    description: "Secret of Medplum's client at the external identity provider",
    minLength: 16,
  }),
});

export const proxySchema = z.object({
  PROXY_PORT: port(3001, { description: "Port of the proxy's legacy clinic app" }),
  PROXY_LISTEN_HOST: listenHost({
    description: 'Address the proxy listens on (0.0.0.0 for every interface, e.g. behind a load balancer)',
  }),
  PROXY_PUBLIC_URL: httpUrl('http://localhost:3001/', {
    description: 'Public URL of the proxy; its origin is the only one allowed to make state-changing calls (CSRF)',
    exposes: true,
  }),
  PROXY_MEDPLUM_CLIENT_ID: text(DEV_PROXY_CLIENT_ID, {
    description: "Id of the proxy's confidential ClientApplication (a project admin, for on-behalf-of)",
  }),
  PROXY_MEDPLUM_CLIENT_SECRET: secret('dev-only-proxy-client-secret-not-for-production', {
    description: "Secret of the proxy's ClientApplication",
    minLength: 16,
  }),
  PROXY_SESSION_SECRET: secret('dev-only-proxy-session-secret-change-me-0123456789', {
    description: "Key that encrypts the legacy app's session cookies",
    minLength: 32,
  }),
  PROXY_SESSION_STORE_URL: optionalRedisUrl({
    description:
      'Redis holding sessions, rate limits and sign-in lock-outs, shared by every proxy instance (in memory, one instance, when unset)',
    example: 'redis://127.0.0.1:6379/0',
  }),
  LEGACY_DEV_USERNAME: text('clinician', {
    description: 'Seeded user of the legacy app (its own identity, not Medplum)',
  }),
  LEGACY_DEV_PASSWORD: secret('legacy-dev-password', {
    description: 'Password of the seeded legacy app user',
    minLength: 8,
    example: '<at least 8 characters>',
  }),
});

export const deviceSchema = z.object({
  DEVICE_AUTH_METHOD: oneOf(['client-credentials', 'basic', 'private-key-jwt'], 'client-credentials', {
    description: 'How the device authenticates to Medplum (basic is the labelled fallback)',
  }),
  DEVICE_MEDPLUM_CLIENT_ID: text(DEV_DEVICE_CLIENT_ID, { description: "Id of the device's ClientApplication" }),
  DEVICE_MEDPLUM_CLIENT_SECRET: secret('dev-only-device-client-secret-not-for-production', {
    description: "Secret of the device's ClientApplication (unused with private-key-jwt)",
    minLength: 16,
  }),
  DEVICE_WEBHOOK_PORT: port(3002, { description: "Port of the device's webhook inbox, JWKS and status page" }),
  DEVICE_LISTEN_HOST: listenHost({
    description: 'Address the device listens on (an address Medplum can reach, for webhooks from a remote Medplum)',
  }),
  DEVICE_WEBHOOK_USERNAME: text('medplum-webhook', { description: 'Basic auth user Medplum sends with each webhook' }),
  DEVICE_WEBHOOK_PASSWORD: secret('dev-only-webhook-password', {
    description: 'Basic auth password Medplum sends with each webhook',
    minLength: 16,
  }),
  DEVICE_WEBHOOK_SECRET: secret('dev-only-webhook-hmac-secret-not-for-production', {
    description: "Key of the webhooks' X-Signature (HMAC-SHA256)",
    minLength: 32,
  }),
  DEVICE_DATA_DIR: text('.data/device', { description: "Folder for the device's outbox and private key" }),
});

export const emulatorSchema = z.object({
  EMULATOR_PORT: port(8103, { description: "Port of the local Medplum emulator (Medplum's own default)" }),
  EMULATOR_DATA_FILE: optionalText({
    description: 'File the emulator keeps its data in across restarts (in memory when unset)',
    example: '.data/emulator.json',
  }),
  EMULATOR_ALLOWED_ORIGINS: originList('http://localhost:3000,http://127.0.0.1:3000', {
    description: 'Browser origins allowed by CORS, comma-separated',
  }),
  EMULATOR_AUTH_RATE_LIMIT: positiveInt(160, { description: 'Auth requests per minute per IP before 429' }),
});

/** The seeded practitioner (a Medplum User); the local identity provider knows the same person by email. */
export const devUserSchema = z.object({
  DEV_PRACTITIONER_EMAIL: email('practitioner@example.com', {
    description: 'Email of the seeded practitioner, for the web app and Acme SSO',
  }),
  DEV_PRACTITIONER_PASSWORD: secret('medplum-dev-password', {
    description: 'Password of the seeded practitioner',
    minLength: 8,
    example: '<at least 8 characters>',
  }),
});

/**
 * `pnpm medplum:provision`: a project-admin ClientApplication of the target project. No defaults: against the local
 * emulator there is nothing to provision (it starts from the seed).
 */
export const provisioningSchema = z.object({
  MEDPLUM_ADMIN_CLIENT_ID: optionalText({
    description: 'Id of a project-admin ClientApplication that `pnpm medplum:provision` signs in with',
    example: '<ClientApplication id from Project Admin > Clients>',
  }),
  MEDPLUM_ADMIN_CLIENT_SECRET: optionalSecret({
    description: 'Secret of that admin ClientApplication',
    minLength: 16,
  }),
});

/**
 * The lab-catalogue pipeline (apps/catalog-pipeline, run by CI): its own confidential ClientApplication, whose
 * AccessPolicy allows only the catalogue's definitional resources.
 */
export const pipelineSchema = z.object({
  PIPELINE_MEDPLUM_CLIENT_ID: text(DEV_PIPELINE_CLIENT_ID, {
    description: "Id of the catalogue pipeline's ClientApplication (catalogue resources only)",
  }),
  PIPELINE_MEDPLUM_CLIENT_SECRET: secret('dev-only-pipeline-client-secret-not-for-production', {
    description: "Secret of the catalogue pipeline's ClientApplication (from the CI secret store)",
    minLength: 16,
  }),
});

/**
 * The emulator's contract and conformance suites against a real Medplum (a test project): its base URL and a
 * confidential ClientApplication with a project membership. Unset = the suites run against a fresh emulator only.
 */
export const contractSuiteSchema = z
  .object({
    MEDPLUM_CONTRACT_BASE_URL: optionalHttpUrl({
      description: 'Run the emulator contract suite against this real Medplum instead (a test project)',
      example: 'https://api.medplum.com/',
    }),
    MEDPLUM_CONTRACT_CLIENT_ID: optionalText({
      description: 'Id of a confidential ClientApplication of that test project (it creates and deletes Patients)',
      example: '<ClientApplication id from Project Admin > Clients>',
    }),
    MEDPLUM_CONTRACT_CLIENT_SECRET: optionalSecret({
      description: 'Secret of that ClientApplication',
      minLength: 16,
    }),
  })
  .superRefine((config, context) => {
    if (!config.MEDPLUM_CONTRACT_BASE_URL) return;
    for (const variable of ['MEDPLUM_CONTRACT_CLIENT_ID', 'MEDPLUM_CONTRACT_CLIENT_SECRET'] as const) {
      if (!config[variable]) {
        context.addIssue({
          code: 'custom',
          path: [variable],
          message: 'required when MEDPLUM_CONTRACT_BASE_URL is set',
        });
      }
    }
  });

type ShapeOf<T> = T extends z.ZodObject<infer S> ? S : never;
type UnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void
  ? I
  : never;
type ComposedShape<T extends readonly z.ZodObject[]> =
  UnionToIntersection<ShapeOf<T[number]>> extends infer S extends z.core.$ZodShape ? S : never;

/** One object schema from several concerns; a variable defined twice is a programming error. */
export function composeSchemas<const T extends readonly z.ZodObject[]>(...schemas: T): z.ZodObject<ComposedShape<T>> {
  const shape: Record<string, z.core.$ZodType> = {};
  for (const schema of schemas) {
    for (const [key, field] of Object.entries(schema.shape)) {
      if (key in shape) throw new Error(`composeSchemas: ${key} is defined twice`);
      shape[key] = field;
    }
  }
  return z.object(shape) as unknown as z.ZodObject<ComposedShape<T>>;
}

/** Every concern, for tooling such as the `.env.example` check. */
export const allSchemas = {
  medplum: medplumSchema,
  web: webBrowserSchema,
  identityProvider: identityProviderSchema,
  proxy: proxySchema,
  device: deviceSchema,
  emulator: emulatorSchema,
  devUser: devUserSchema,
  provisioning: provisioningSchema,
  pipeline: pipelineSchema,
  contractSuite: contractSuiteSchema,
} as const;

import { ensureTrailingSlash } from '@medplum/core';
import { FhirRouter } from '@medplum/fhir-router';
import type { Bundle } from '@medplum/fhirtypes';
import { createLogger, startHttpServer } from '@org/runtime';
import type { Hono } from 'hono';
import { createEmulatorApp } from './app.ts';
import { loadFhirDefinitions } from './fhir/definitions.ts';
import { DEFAULT_AUTH_RATE_LIMIT_PER_MINUTE, DEFAULT_RATE_LIMIT_PER_MINUTE } from './http/rate-limit.ts';
import type { IdentityProviderOptions, RunningIdentityProvider } from './idp/index.ts';
import { startIdentityProvider } from './idp/index.ts';
import { SigningKeys } from './oauth/keys.ts';
import { applySeed } from './seed.ts';
import type { EmulatorServices } from './services.ts';
import { EmulatorRepository } from './store/emulator-repository.ts';
import { openDataStore } from './store/journal.ts';
import { createSubscriptionDispatcher, type SubscriptionAutoDisableTrigger } from './subscriptions/index.ts';

export { createEmulatorApp } from './app.ts';
export { EmulatorStartError } from './errors.ts';
export type { IdentityProviderOptions, RunningIdentityProvider } from './idp/index.ts';
export type { EmulatorServices } from './services.ts';

export interface EmulatorOptions {
  /** Defaults to 8103 (Medplum's own local port); 0 picks a free one. Always 127.0.0.1. */
  port?: number;
  /** Resources to load at start, ids kept (a `collection` or `transaction` Bundle). */
  seed?: Bundle;
  /** Keep resources, Logins and signing keys here across restarts; in memory when unset. */
  dataFile?: string;
  /** Browser origins allowed by CORS. */
  allowedOrigins?: string[];
  /** Requests per minute per client address on /auth/* and /oauth2/*; Medplum's default is 160. */
  authRateLimit?: number;
  /** Requests per minute per client address on every other path; Medplum's default is 60,000. */
  rateLimit?: number;
  /** Medplum's `subscriptionAutoDisable` server setting; a Project's system setting of that name overrides it. */
  subscriptionAutoDisable?: SubscriptionAutoDisableTrigger[];
  /** Public base URL and token issuer; defaults to `http://localhost:<port>/`. */
  baseUrl?: string;
  /** Also start the local OIDC identity provider ("Acme SSO"). */
  identityProvider?: IdentityProviderOptions;
  /** First subscription retry delay in ms (Medplum: 1000, doubling); tests pass a few ms. */
  subscriptionRetryDelayMs?: number;
  /** Outgoing HTTP (identity provider, webhooks); defaults to globalThis.fetch. */
  fetch?: typeof fetch;
  /** One line per notable event, never with secrets or tokens. Defaults to the @org/runtime logger (stdout). */
  log?: (line: string) => void;
}

export interface RunningEmulator {
  /** Base URL with a trailing slash, e.g. `http://localhost:8103/`. */
  url: string;
  /** Set when `identityProvider` was given. */
  identityProvider?: RunningIdentityProvider;
  /** Resolves once every webhook delivery queued so far (retries included) has finished. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULT_PORT = 8103;

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const log = options.log ?? defaultLog();
  const outgoingFetch = options.fetch ?? globalThis.fetch;
  loadFhirDefinitions();

  const repo = new EmulatorRepository();
  const dataStore = options.dataFile ? openDataStore(options.dataFile, repo) : undefined;
  if (options.seed) await applySeed(repo, options.seed);
  const keys = await SigningKeys.load(repo);
  dataStore?.flush();

  // The app needs the base URL, which needs the port, which 0 leaves to the listen: so the app is made after it.
  let app: Hono | undefined;
  const server = await startHttpServer({
    fetch: (request, env) => (app as Hono).fetch(request, env),
    port: options.port ?? DEFAULT_PORT,
    name: 'the Medplum emulator',
    portSetting: 'EMULATOR_PORT',
    inUseHint: 'Another emulator, or a local Medplum?',
  });
  const { port } = server;
  const baseUrl = ensureTrailingSlash(options.baseUrl ?? `http://localhost:${port}/`);

  const dispatcher = createSubscriptionDispatcher({
    repo,
    fetch: outgoingFetch,
    log,
    ...(options.subscriptionRetryDelayMs !== undefined ? { baseRetryDelayMs: options.subscriptionRetryDelayMs } : {}),
    ...(options.subscriptionAutoDisable ? { autoDisable: options.subscriptionAutoDisable } : {}),
  });
  const services: EmulatorServices = {
    baseUrl,
    repo,
    keys,
    fhirRouter: new FhirRouter(),
    dispatcher,
    allowedOrigins: options.allowedOrigins ?? [],
    authRateLimit: options.authRateLimit ?? DEFAULT_AUTH_RATE_LIMIT_PER_MINUTE,
    rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
    log,
    fetch: outgoingFetch,
    flushWrites: () => dataStore?.flush(),
  };
  app = createEmulatorApp(services);

  let identityProvider: RunningIdentityProvider | undefined;
  if (options.identityProvider) {
    try {
      identityProvider = await startIdentityProvider({ log, ...options.identityProvider });
    } catch (error) {
      await server.close();
      throw error;
    }
  }

  let stopping: Promise<void> | undefined;
  return {
    url: baseUrl,
    ...(identityProvider ? { identityProvider } : {}),
    idle: () => dispatcher.idle(),
    stop: () => {
      stopping ??= (async () => {
        await server.close();
        await dispatcher.stop();
        dataStore?.close();
        await identityProvider?.stop();
      })();
      return stopping;
    },
  };
}

function defaultLog(): (line: string) => void {
  const logger = createLogger({ name: 'medplum-emulator' });
  return (line) => logger.info(line);
}

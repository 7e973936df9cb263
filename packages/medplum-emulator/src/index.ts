import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { ensureTrailingSlash } from '@medplum/core';
import { FhirRouter } from '@medplum/fhir-router';
import type { Bundle } from '@medplum/fhirtypes';
import type { Hono } from 'hono';
import { createEmulatorApp } from './app.ts';
import { EmulatorStartError } from './errors.ts';
import { loadFhirDefinitions } from './fhir/definitions.ts';
import { DEFAULT_AUTH_RATE_LIMIT_PER_MINUTE, DEFAULT_RATE_LIMIT_PER_MINUTE } from './http/rate-limit.ts';
import type { IdentityProviderOptions, RunningIdentityProvider } from './idp/index.ts';
import { startIdentityProvider } from './idp/index.ts';
import { SigningKeys } from './oauth/keys.ts';
import { applySeed } from './seed.ts';
import type { EmulatorServices } from './services.ts';
import { readDataFile, writeDataFile } from './store/data-file.ts';
import { EmulatorRepository } from './store/emulator-repository.ts';
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
  /** One line per notable event, never with secrets or tokens. Defaults to stderr. */
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
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const outgoingFetch = options.fetch ?? globalThis.fetch;
  loadFhirDefinitions();

  const repo = new EmulatorRepository();
  const stored = options.dataFile ? readDataFile(options.dataFile) : undefined;
  if (stored) repo.restore(stored.repository);
  if (options.seed) await applySeed(repo, options.seed);
  const keys = await SigningKeys.load(repo);
  const { dataFile } = options;
  if (dataFile) {
    writeDataFile(dataFile, repo.snapshot());
    repo.onChange = () => writeDataFile(dataFile, repo.snapshot());
  }

  let app: Hono | undefined;
  const server = createAdaptorServer({
    fetch: (request, env) => (app as Hono).fetch(request, env),
    hostname: '127.0.0.1',
  }) as Server;
  const port = await listen(server, options.port ?? DEFAULT_PORT);
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
  };
  app = createEmulatorApp(services);

  let identityProvider: RunningIdentityProvider | undefined;
  if (options.identityProvider) {
    try {
      identityProvider = await startIdentityProvider(options.identityProvider);
    } catch (error) {
      await closeServer(server);
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
        await closeServer(server);
        await dispatcher.stop();
        await identityProvider?.stop();
      })();
      return stopping;
    },
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new EmulatorStartError(
            `Port ${port} on 127.0.0.1 is already in use. Stop whatever is using it (another emulator or a local Medplum?) or set EMULATOR_PORT to a free port.`
          )
        );
      } else {
        reject(error);
      }
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

import type { FhirRouter } from '@medplum/fhir-router';
import type { SigningKeys } from './oauth/keys.ts';
import type { EmulatorRepository } from './store/emulator-repository.ts';
import type { SubscriptionDispatcher } from './subscriptions/index.ts';

/** What every route handler needs; built once per emulator by `createEmulatorApp`'s caller. */
export interface EmulatorServices {
  /** With a trailing slash; also the token issuer, as in Medplum (`issuer = baseUrl`). */
  baseUrl: string;
  repo: EmulatorRepository;
  keys: SigningKeys;
  fhirRouter: FhirRouter;
  dispatcher: SubscriptionDispatcher;
  allowedOrigins: readonly string[];
  /** Requests per minute per client address on /auth/* and /oauth2/* (Medplum's auth limit). */
  authRateLimit: number;
  /** Requests per minute per client address on every other path (Medplum's general limit). */
  rateLimit: number;
  log: (line: string) => void;
  /** Outgoing calls (identity provider, client JWKS); tests may replace it. */
  fetch: typeof fetch;
  /** Makes every change so far durable (the data file's journal); called before each response is sent. */
  flushWrites: () => void;
}

export function tokenUrl(services: EmulatorServices): string {
  return `${services.baseUrl}oauth2/token`;
}

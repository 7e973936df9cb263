import {
  ClientStorage,
  ensureTrailingSlash,
  getStatus,
  isOperationOutcome,
  MedplumClient,
  type MedplumRequestOptions,
  MemoryStorage,
  OperationOutcomeError,
  type PatchOperation,
  type QueryTypes,
  type ResourceArray,
  type WithId,
} from '@medplum/core';
import type { Bundle, ExtractResource, Reference, Resource, ResourceType } from '@medplum/fhirtypes';
import type { CredentialMethod, CredentialStrategy } from './credentials.ts';
import { ON_BEHALF_OF_HEADER, type OnBehalfOfReference, onBehalfOfValue } from './on-behalf-of.ts';
import { createTokenGate, watchTokenRequests } from './token-gate.ts';

/** The FHIR calls a service client offers, for itself or on behalf of a user. Each call gets its own headers. */
export interface FhirCalls {
  readResource<RT extends ResourceType>(resourceType: RT, id: string): Promise<WithId<ExtractResource<RT>>>;
  readReference<T extends Resource>(reference: Reference<T>): Promise<WithId<T>>;
  search<RT extends ResourceType>(resourceType: RT, query?: QueryTypes): Promise<Bundle<WithId<ExtractResource<RT>>>>;
  searchOne<RT extends ResourceType>(
    resourceType: RT,
    query?: QueryTypes
  ): Promise<WithId<ExtractResource<RT>> | undefined>;
  searchResources<RT extends ResourceType>(
    resourceType: RT,
    query?: QueryTypes
  ): Promise<ResourceArray<WithId<ExtractResource<RT>>>>;
  createResource<T extends Resource>(resource: T): Promise<WithId<T>>;
  /** Conditional create (`If-None-Exist`), for idempotent writes. */
  createResourceIfNoneExist<T extends Resource>(resource: T, query: string): Promise<WithId<T>>;
  updateResource<T extends Resource>(resource: T): Promise<WithId<T>>;
  patchResource<RT extends ResourceType>(
    resourceType: RT,
    id: string,
    operations: PatchOperation[]
  ): Promise<WithId<ExtractResource<RT>>>;
  deleteResource(resourceType: ResourceType, id: string): Promise<void>;
  executeBatch(bundle: Bundle): Promise<Bundle>;
  /** Lower level: a path relative to the base URL (e.g. `fhir/R4/Patient?name=x`) or an absolute URL on it. */
  get<T = unknown>(path: string): Promise<T>;
  post<T = unknown>(path: string, body: unknown, contentType?: string): Promise<T>;
  put<T = unknown>(path: string, body: unknown, contentType?: string): Promise<T>;
  delete<T = unknown>(path: string): Promise<T>;
}

export interface ServiceClientOptions {
  /** Medplum base URL (trailing slash added when missing). */
  baseUrl: string;
  credentials: CredentialStrategy;
  /** Token endpoint; default `<baseUrl>oauth2/token`. Also the `aud` of client assertions. */
  tokenUrl?: string;
  /** Get a new token this long before the current one expires (at most a quarter of its lifetime). Default 60 s. */
  refreshSkewMs?: number;
  /** Retries of the SDK on 429/5xx per request (Medplum's own back-off). Default 2. */
  maxRetries?: number;
  /** Back-off of token requests after the token endpoint answered 429: initial and maximal wait. */
  tokenBackoff?: { initialMs?: number; maxMs?: number };
  /** For tests and instrumentation: the fetch every request goes through. */
  fetch?: typeof fetch;
  /** Log lines (never a secret or token). */
  log?: (line: string) => void;
  /** For tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface ServiceClient extends FhirCalls {
  readonly clientId: string;
  readonly method: CredentialMethod;
  /** The long-lived SDK client of this identity. Never set `defaultHeaders` on it: they would apply to every user. */
  readonly medplum: MedplumClient;
  /** Obtains access if needed (one token request at most, shared by concurrent callers); for readiness checks. */
  ready(): Promise<void>;
  /** Expiry (ms since epoch) of the current access token; undefined without one (or in Basic mode). */
  tokenExpiresAt(): number | undefined;
  /** Number of token requests made so far (successful or not). */
  tokenRequests(): number;
  /**
   * Calls made as `target` (`ProjectMembership/<id>` or a profile reference): Medplum applies that user's access
   * policy and records them in `meta.onBehalfOf`. The header lives only in each call's own options.
   */
  onBehalfOf(target: string | Reference): FhirCalls & { readonly onBehalfOf: OnBehalfOfReference };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The HTTP status Medplum answered with, for an error thrown by a call (undefined for network errors). */
export function outcomeStatus(error: unknown): number | undefined {
  return error instanceof OperationOutcomeError && isOperationOutcome(error.outcome)
    ? getStatus(error.outcome)
    : undefined;
}

function isUnauthorized(error: unknown): boolean {
  return outcomeStatus(error) === 401;
}

/**
 * One long-lived client per ClientApplication. Tokens are reused until `refreshSkewMs` before expiry; concurrent
 * callers share a single token request; a 401 gets one new token and one retry; a 429 from the token endpoint makes
 * the next token request wait (exponential back-off). No mutable state is shared between users: on-behalf-of
 * headers are built per call, the SDK's response cache and auto-batching are off.
 */
export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  const strategy = options.credentials;
  const baseUrl = ensureTrailingSlash(options.baseUrl);
  const tokenUrl = options.tokenUrl ?? new URL('oauth2/token', baseUrl).toString();
  const tokenTraffic = watchTokenRequests(tokenUrl, options.fetch ?? globalThis.fetch.bind(globalThis));

  const medplum = new MedplumClient({
    baseUrl,
    tokenUrl,
    clientId: strategy.clientId,
    fetch: tokenTraffic.fetch,
    storage: new ClientStorage(new MemoryStorage()),
    // A shared response cache would hand one user's reads to another; auto-batching would merge their requests.
    cacheTime: 0,
    autoBatchTime: 0,
    // The gate below renews ahead of expiry; the SDK only steps in once a token has actually expired.
    refreshGracePeriod: 0,
    maxRetries: options.maxRetries ?? 2,
  });
  const gate = createTokenGate({
    medplum,
    strategy,
    tokenUrl,
    throttled: tokenTraffic.throttled,
    refreshSkewMs: options.refreshSkewMs ?? 60_000,
    backoff: { initialMs: options.tokenBackoff?.initialMs ?? 1_000, maxMs: options.tokenBackoff?.maxMs ?? 30_000 },
    log: options.log ?? (() => {}),
    now: options.now ?? (() => Date.now()),
    sleep: options.sleep ?? defaultSleep,
  });
  const { login, ensureAccess } = gate;

  async function run<T>(headers: Record<string, string> | undefined, call: (o: MedplumRequestOptions) => Promise<T>) {
    // A fresh options object (and headers object) per call: nothing a concurrent call could see or change.
    const options = (): MedplumRequestOptions => (headers ? { headers: { ...headers } } : {});
    await ensureAccess();
    const usedToken = medplum.getAccessToken();
    try {
      return await call(options());
    } catch (error) {
      // With a client secret the SDK already re-logged in and retried once. Without one (private_key_jwt) it
      // cannot, so the one retry happens here, with a freshly signed assertion unless someone else already got one.
      if (strategy.usesTokens && !strategy.sdkCanRelogin && isUnauthorized(error)) {
        const current = medplum.getAccessToken();
        if (!current || current === usedToken) await login();
        return call(options());
      }
      throw error;
    }
  }

  /** Lower-level calls only go to this Medplum: a relative path, or an absolute URL under the base URL. */
  function onMedplum(path: string): string {
    if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//')) {
      if (!path.startsWith(baseUrl)) throw new TypeError('only paths on the Medplum base URL can be called');
      return path;
    }
    return path.replace(/^\/+/, '');
  }

  function calls(headers: Record<string, string> | undefined): FhirCalls {
    return {
      readResource: (type, id) => run(headers, (o) => medplum.readResource(type, id, o)),
      readReference: (reference) => run(headers, (o) => medplum.readReference(reference, o)),
      search: (type, query) => run(headers, (o) => medplum.search(type, query, o)),
      searchOne: (type, query) => run(headers, (o) => medplum.searchOne(type, query, o)),
      searchResources: (type, query) => run(headers, (o) => medplum.searchResources(type, query, o)),
      createResource: (resource) => run(headers, (o) => medplum.createResource(resource, o)),
      createResourceIfNoneExist: (resource, query) =>
        run(headers, (o) => medplum.createResourceIfNoneExist(resource, query, o)),
      updateResource: (resource) => run(headers, (o) => medplum.updateResource(resource, o)),
      patchResource: (type, id, operations) => run(headers, (o) => medplum.patchResource(type, id, operations, o)),
      deleteResource: (type, id) => run(headers, (o) => medplum.deleteResource(type, id, o)),
      executeBatch: (bundle) => run(headers, (o) => medplum.executeBatch(bundle, o)),
      get: (path) => run(headers, (o) => medplum.get(onMedplum(path), o)),
      post: (path, body, contentType) => run(headers, (o) => medplum.post(onMedplum(path), body, contentType, o)),
      put: (path, body, contentType) => run(headers, (o) => medplum.put(onMedplum(path), body, contentType, o)),
      delete: (path) => run(headers, (o) => medplum.delete(onMedplum(path), o)),
    };
  }

  return {
    clientId: strategy.clientId,
    method: strategy.method,
    medplum,
    ready: ensureAccess,
    tokenExpiresAt: () => (strategy.usesTokens ? gate.tokenExpiresAt() : undefined),
    tokenRequests: tokenTraffic.count,
    onBehalfOf(target) {
      const value = onBehalfOfValue(target);
      return Object.freeze({ ...calls({ [ON_BEHALF_OF_HEADER]: value }), onBehalfOf: value });
    },
    ...calls(undefined),
  };
}

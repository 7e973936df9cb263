/**
 * Unit-test double of Medplum's HTTP surface as a `fetch` function: the token endpoint, /auth/me and a small FHIR
 * store. It stamps `meta.author` / `meta.onBehalfOf` the way Medplum does and, given `members`, stands in for access
 * policies with a per-membership list of resource types. Only for unit tests; integration tests use the emulator over
 * real HTTP.
 */
// Medplum answers with its own OperationOutcomes (packages/core/src/outcomes.ts), exported by the SDK.
import { forbidden, notFound, tooManyRequests, unauthorized } from '@medplum/core';
import { onBehalfOfRefused } from './outcomes.ts';

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string | undefined;
}

export interface FakeMember {
  /** `Practitioner/<id>`: what Medplum writes into `meta.onBehalfOf`. */
  profile: string;
  /** Resource types this membership may use (any interaction). */
  types: string[];
}

export type FakeResource = { resourceType: string; id: string; [key: string]: unknown };

export interface FakeMedplumOptions {
  baseUrl?: string;
  clientId?: string;
  /** When set, token requests (and Basic) with another secret are refused as Medplum does; otherwise any secret. */
  clientSecret?: string;
  /** Access-token lifetime in seconds. */
  lifetimeSeconds?: number;
  /**
   * On-behalf-of targets Medplum knows, keyed by `ProjectMembership/<id>`. When given, any other target is refused
   * and each member may only use its `types`; when absent, every target is accepted and recorded as given.
   */
  members?: Record<string, FakeMember>;
  /** The store's contents. When given, a read of anything else is 404; when absent, every read finds a stub. */
  resources?: FakeResource[];
  /**
   * How an on-behalf-of target it does not know is refused: `'current'` as current Medplum servers (400 invalid
   * "Authentication error"), `'legacy'` as earlier releases (403 forbidden). Default current.
   */
  onBehalfOfRefusal?: 'current' | 'legacy';
  /** Extra headers on every response (e.g. ones a proxy must not pass on). */
  responseHeaders?: Record<string, string>;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** See {@link fakeMedplum}. `fetch` is bound: hand it to a client as is. */
export class FakeMedplum {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly requests: RecordedRequest[] = [];
  readonly store = new Map<string, Record<string, unknown>>();
  readonly #options: FakeMedplumOptions;
  readonly #issued = new Set<string>();
  #serial = 0;
  #tokenStatus: number | undefined;
  #fhirUnauthorizedOnce = 0;
  #fhirAlwaysUnauthorized = false;
  #tokenGate: Promise<void> | undefined;

  constructor(options: FakeMedplumOptions = {}) {
    this.#options = options;
    this.baseUrl = options.baseUrl ?? 'https://medplum.test/';
    this.clientId = options.clientId ?? 'client-1';
    for (const resource of options.resources ?? []) this.store.set(`${resource.resourceType}/${resource.id}`, resource);
  }

  readonly fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input : input.url);
    const request: RecordedRequest = {
      method: init?.method ?? 'GET',
      url,
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : undefined,
    };
    this.requests.push(request);
    const path = url.pathname;
    if (path === '/oauth2/token') return this.#token(request.body);

    const isFhir = path.startsWith('/fhir/');
    const refuseFhir = isFhir && (this.#fhirAlwaysUnauthorized || this.#fhirUnauthorizedOnce > 0);
    if (!this.#authorized(request.headers.get('authorization') ?? '') || refuseFhir) {
      if (isFhir && this.#fhirUnauthorizedOnce > 0) this.#fhirUnauthorizedOnce--;
      return this.#json(unauthorized, 401);
    }
    if (path === '/auth/me') return this.#json(this.#me());
    return path.startsWith('/fhir/R4/') ? this.#fhir(request) : this.#json(notFound, 404);
  };

  tokenRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.url.pathname === '/oauth2/token');
  }

  fhirRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.url.pathname.startsWith('/fhir/'));
  }

  /** Every issued token stops being accepted (as after a server-side revocation). */
  revokeAll(): void {
    this.#issued.clear();
  }

  /** Token requests answer this status (429: Medplum's rate-limit outcome; others: "Invalid secret"). */
  failTokenRequestsWith(status: number | undefined): void {
    this.#tokenStatus = status;
  }

  unauthorizedNextFhirCalls(count: number): void {
    this.#fhirUnauthorizedOnce = count;
  }

  alwaysUnauthorized(value: boolean): void {
    this.#fhirAlwaysUnauthorized = value;
  }

  /** Hold token responses until the returned function is called. */
  holdTokenResponses(): () => void {
    let release: () => void = () => {};
    this.#tokenGate = new Promise<void>((resolve) => {
      release = () => {
        this.#tokenGate = undefined;
        resolve();
      };
    });
    return release;
  }

  #json(body: unknown, status = 200): Response {
    return new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/fhir+json', ...this.#options.responseHeaders },
    });
  }

  #secretAccepted(secret: string | null): boolean {
    return this.#options.clientSecret === undefined || secret === this.#options.clientSecret;
  }

  async #token(body: string | undefined): Promise<Response> {
    if (this.#tokenGate) await this.#tokenGate;
    if (this.#tokenStatus === 429) return this.#json(tooManyRequests, 429);
    // Medplum's token errors (packages/server/src/oauth/token.ts: sendTokenError).
    const refuse = (description: string, status = 400) =>
      this.#json({ error: 'invalid_request', error_description: description }, status);
    if (this.#tokenStatus) return refuse('Invalid secret', this.#tokenStatus);
    const form = new URLSearchParams(body);
    const assertion = form.has('client_assertion');
    if (!assertion && form.get('client_id') !== this.clientId) return refuse('Invalid client');
    if (!assertion && !this.#secretAccepted(form.get('client_secret'))) return refuse('Invalid secret');
    const lifetime = this.#options.lifetimeSeconds ?? 3600;
    const now = Math.floor(Date.now() / 1000);
    const accessToken = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({
      login_id: `login-${++this.#serial}`,
      client_id: this.clientId,
      sub: this.clientId,
      profile: `ClientApplication/${this.clientId}`,
      iat: now,
      exp: now + lifetime,
    })}.sig`;
    this.#issued.add(accessToken);
    return this.#json({
      token_type: 'Bearer',
      access_token: accessToken,
      expires_in: lifetime,
      project: { reference: 'Project/p1' },
      profile: { reference: `ClientApplication/${this.clientId}` },
    });
  }

  #authorized(header: string): boolean {
    if (header.startsWith('Bearer ')) return this.#issued.has(header.slice(7));
    if (!header.startsWith('Basic ')) return false;
    const [id, secret] = Buffer.from(header.slice(6), 'base64').toString().split(':');
    return id === this.clientId && this.#secretAccepted(secret ?? null);
  }

  #me() {
    return {
      profile: { resourceType: 'ClientApplication', id: this.clientId },
      project: { resourceType: 'Project', id: 'p1' },
      membership: { resourceType: 'ProjectMembership', id: 'm1', admin: true },
      config: { resourceType: 'UserConfiguration' },
      accessPolicy: { resourceType: 'AccessPolicy' },
    };
  }

  #fhir(request: RecordedRequest): Response {
    const { method, url, headers } = request;
    const [type = '', id] = url.pathname.slice('/fhir/R4/'.length).split('/');
    const onBehalfOf = headers.get('x-medplum-on-behalf-of');
    const members = this.#options.members;
    const member = onBehalfOf ? members?.[onBehalfOf] : undefined;
    if (onBehalfOf && members && !member) {
      return this.#options.onBehalfOfRefusal === 'legacy'
        ? this.#json(forbidden, 403)
        : this.#json(onBehalfOfRefused, 400);
    }
    if (member && !member.types.includes(type)) return this.#json(forbidden, 403);
    if (method === 'GET' && id) {
      const stub = this.#options.resources ? undefined : { resourceType: type, id };
      const found = this.store.get(`${type}/${id}`) ?? stub;
      return found ? this.#json(found) : this.#json(notFound, 404);
    }
    if (method === 'GET') return this.#json(this.#search(type, url.searchParams.get('subject')));
    if (method === 'POST' && !id)
      return this.#json(this.#create(type, request.body, member?.profile ?? onBehalfOf), 201);
    return this.#json(notFound, 404);
  }

  #search(type: string, subject: string | null) {
    const matches = [...this.store.values()].filter(
      (r) => r.resourceType === type && (!subject || (r.subject as { reference?: string })?.reference === subject)
    );
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: matches.length,
      entry: matches.map((resource) => ({ resource })),
    };
  }

  /** Stored as Medplum stores a create: its id, and `meta.author` / `meta.onBehalfOf` stamped by the server. */
  #create(type: string, body: string | undefined, actingFor: string | null) {
    const created = {
      ...(JSON.parse(body ?? '{}') as Record<string, unknown>),
      id: `${type.toLowerCase()}-${++this.#serial}`,
      meta: {
        versionId: '1',
        lastUpdated: new Date().toISOString(),
        author: { reference: `ClientApplication/${this.clientId}` },
        ...(actingFor ? { onBehalfOf: { reference: actingFor } } : {}),
      },
    };
    this.store.set(`${type}/${created.id}`, created);
    return created;
  }
}

/** A fake Medplum; see {@link FakeMedplum} for what it answers and how a test steers it. */
export function fakeMedplum(options: FakeMedplumOptions = {}): FakeMedplum {
  return new FakeMedplum(options);
}

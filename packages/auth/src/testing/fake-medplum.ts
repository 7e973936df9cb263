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

export function fakeMedplum(options: FakeMedplumOptions = {}) {
  const baseUrl = options.baseUrl ?? 'https://medplum.test/';
  const clientId = options.clientId ?? 'client-1';
  const lifetime = options.lifetimeSeconds ?? 3600;
  const store = new Map<string, Record<string, unknown>>();
  for (const resource of options.resources ?? []) store.set(`${resource.resourceType}/${resource.id}`, resource);
  const requests: RecordedRequest[] = [];
  const issued = new Set<string>();
  let serial = 0;
  let tokenStatus: number | undefined;
  let fhirUnauthorizedOnce = 0;
  let fhirAlwaysUnauthorized = false;
  let tokenGate: Promise<void> | undefined;

  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/fhir+json', ...options.responseHeaders },
    });

  const secretAccepted = (secret: string | null) =>
    options.clientSecret === undefined || secret === options.clientSecret;

  async function token(body: string | undefined): Promise<Response> {
    if (tokenGate) await tokenGate;
    if (tokenStatus === 429) return json(tooManyRequests, 429);
    // Medplum's token errors (packages/server/src/oauth/token.ts: sendTokenError).
    const refuse = (description: string, status = 400) =>
      json({ error: 'invalid_request', error_description: description }, status);
    if (tokenStatus) return refuse('Invalid secret', tokenStatus);
    const form = new URLSearchParams(body);
    const assertion = form.has('client_assertion');
    if (!assertion && form.get('client_id') !== clientId) return refuse('Invalid client');
    if (!assertion && !secretAccepted(form.get('client_secret'))) return refuse('Invalid secret');
    const now = Math.floor(Date.now() / 1000);
    const accessToken = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({
      login_id: `login-${++serial}`,
      client_id: clientId,
      sub: clientId,
      profile: `ClientApplication/${clientId}`,
      iat: now,
      exp: now + lifetime,
    })}.sig`;
    issued.add(accessToken);
    return json({
      token_type: 'Bearer',
      access_token: accessToken,
      expires_in: lifetime,
      project: { reference: 'Project/p1' },
      profile: { reference: `ClientApplication/${clientId}` },
    });
  }

  function authorized(header: string): boolean {
    if (header.startsWith('Bearer ')) return issued.has(header.slice(7));
    if (!header.startsWith('Basic ')) return false;
    const [id, secret] = Buffer.from(header.slice(6), 'base64').toString().split(':');
    return id === clientId && secretAccepted(secret ?? null);
  }

  function fhir(request: RecordedRequest): Response {
    const { method, url, headers, body } = request;
    const [type = '', id] = url.pathname.slice('/fhir/R4/'.length).split('/');
    const onBehalfOf = headers.get('x-medplum-on-behalf-of');
    const member = onBehalfOf ? options.members?.[onBehalfOf] : undefined;
    if (onBehalfOf && options.members && !member) {
      return options.onBehalfOfRefusal === 'legacy' ? json(forbidden, 403) : json(onBehalfOfRefused, 400);
    }
    if (member && !member.types.includes(type)) return json(forbidden, 403);
    const actingFor = member?.profile ?? onBehalfOf;

    if (method === 'GET' && id) {
      const found = store.get(`${type}/${id}`) ?? (options.resources ? undefined : { resourceType: type, id });
      return found ? json(found) : json(notFound, 404);
    }
    if (method === 'GET') {
      const subject = url.searchParams.get('subject');
      const matches = [...store.values()].filter(
        (r) => r.resourceType === type && (!subject || (r.subject as { reference?: string })?.reference === subject)
      );
      return json({
        resourceType: 'Bundle',
        type: 'searchset',
        total: matches.length,
        entry: matches.map((resource) => ({ resource })),
      });
    }
    if (method === 'POST' && !id) {
      const resource = JSON.parse(body ?? '{}') as Record<string, unknown>;
      const created = {
        ...resource,
        id: `${type.toLowerCase()}-${++serial}`,
        meta: {
          versionId: '1',
          lastUpdated: new Date().toISOString(),
          author: { reference: `ClientApplication/${clientId}` },
          ...(actingFor ? { onBehalfOf: { reference: actingFor } } : {}),
        },
      };
      store.set(`${type}/${created.id}`, created);
      return json(created, 201);
    }
    return json(notFound, 404);
  }

  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input : input.url);
    const request: RecordedRequest = {
      method: init?.method ?? 'GET',
      url,
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : undefined,
    };
    requests.push(request);
    const path = url.pathname;
    if (path === '/oauth2/token') return token(request.body);

    const isFhir = path.startsWith('/fhir/');
    const refuseFhir = isFhir && (fhirAlwaysUnauthorized || fhirUnauthorizedOnce > 0);
    if (!authorized(request.headers.get('authorization') ?? '') || refuseFhir) {
      if (isFhir && fhirUnauthorizedOnce > 0) fhirUnauthorizedOnce--;
      return json(unauthorized, 401);
    }
    if (path === '/auth/me') {
      return json({
        profile: { resourceType: 'ClientApplication', id: clientId },
        project: { resourceType: 'Project', id: 'p1' },
        membership: { resourceType: 'ProjectMembership', id: 'm1', admin: true },
        config: { resourceType: 'UserConfiguration' },
        accessPolicy: { resourceType: 'AccessPolicy' },
      });
    }
    return path.startsWith('/fhir/R4/') ? fhir(request) : json(notFound, 404);
  };

  return {
    baseUrl,
    clientId,
    fetch,
    requests,
    store,
    tokenRequests: () => requests.filter((r) => r.url.pathname === '/oauth2/token'),
    fhirRequests: () => requests.filter((r) => r.url.pathname.startsWith('/fhir/')),
    /** Every issued token stops being accepted (as after a server-side revocation). */
    revokeAll: () => issued.clear(),
    /** Token requests answer this status (429: Medplum's rate-limit outcome; others: "Invalid secret"). */
    failTokenRequestsWith: (status: number | undefined) => {
      tokenStatus = status;
    },
    unauthorizedNextFhirCalls: (count: number) => {
      fhirUnauthorizedOnce = count;
    },
    alwaysUnauthorized: (value: boolean) => {
      fhirAlwaysUnauthorized = value;
    },
    /** Hold token responses until the returned function is called. */
    holdTokenResponses: () => {
      let release: () => void = () => {};
      tokenGate = new Promise<void>((resolve) => {
        release = () => {
          tokenGate = undefined;
          resolve();
        };
      });
      return release;
    },
  };
}

/**
 * Unit-test double of Medplum's HTTP surface as a `fetch`: token endpoint, /auth/me and a tiny FHIR store with a
 * per-membership allowlist of resource types standing in for access policies. It stamps `meta.author` /
 * `meta.onBehalfOf` the way Medplum does. Unit tests only; the integration tests run against the emulator.
 */
export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string | undefined;
}

export interface FakeMember {
  profile: string;
  /** Resource types this membership may use (any interaction). */
  types: string[];
}

export interface FakeMedplumOptions {
  baseUrl?: string;
  clientId?: string;
  clientSecret?: string;
  lifetimeSeconds?: number;
  /** Keyed by `ProjectMembership/<id>`. */
  members?: Record<string, FakeMember>;
  resources?: { resourceType: string; id: string; [key: string]: unknown }[];
  /**
   * How an on-behalf-of target it does not know is refused: `'current'` as current Medplum servers (400 invalid
   * "Authentication error"), `'legacy'` as earlier releases (403 forbidden). Default current.
   */
  onBehalfOfRefusal?: 'current' | 'legacy';
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function outcome(id: string, code: string, text: string) {
  return { resourceType: 'OperationOutcome', id, issue: [{ severity: 'error', code, details: { text } }] };
}

export function fakeMedplum(options: FakeMedplumOptions = {}) {
  const baseUrl = options.baseUrl ?? 'http://localhost:8999/';
  const clientId = options.clientId ?? 'proxy-client';
  const clientSecret = options.clientSecret ?? 'dev-only-proxy-client-secret-not-for-production';
  const lifetime = options.lifetimeSeconds ?? 3600;
  const members = options.members ?? {};
  const store = new Map<string, Record<string, unknown>>();
  for (const resource of options.resources ?? []) store.set(`${resource.resourceType}/${resource.id}`, resource);
  const requests: RecordedRequest[] = [];
  const issued = new Set<string>();
  let serial = 0;
  /** Extra response headers Medplum might send; the proxy must never pass them on. */
  const noisyHeaders = {
    'www-authenticate': 'Bearer realm="medplum"',
    'set-cookie': 'medplum-session=secret; Path=/',
    ratelimit: '"requests";r=599;t=60',
    'x-medplum-internal': 'yes',
  };
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/fhir+json', ...noisyHeaders },
    });

  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input : input.url);
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === 'string' ? init.body : undefined;
    const method = init?.method ?? 'GET';
    requests.push({ method, url, headers, body });
    const path = url.pathname;

    if (path === '/oauth2/token') {
      const form = new URLSearchParams(body);
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
        return json({ error: 'invalid_request', error_description: 'Invalid secret' }, 400);
      }
      const now = Math.floor(Date.now() / 1000);
      const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({
        login_id: `login-${++serial}`,
        client_id: clientId,
        sub: clientId,
        profile: `ClientApplication/${clientId}`,
        iat: now,
        exp: now + lifetime,
      })}.sig`;
      issued.add(token);
      return json({
        token_type: 'Bearer',
        access_token: token,
        expires_in: lifetime,
        project: { reference: 'Project/p1' },
        profile: { reference: `ClientApplication/${clientId}` },
      });
    }

    const auth = headers.get('authorization') ?? '';
    if (!auth.startsWith('Bearer ') || !issued.has(auth.slice(7))) {
      return json(outcome('unauthorized', 'login', 'Unauthorized'), 401);
    }
    if (path === '/auth/me') {
      return json({
        profile: { resourceType: 'ClientApplication', id: clientId },
        project: { resourceType: 'Project', id: 'p1' },
        membership: { resourceType: 'ProjectMembership', id: 'proxy-membership', admin: true },
        config: { resourceType: 'UserConfiguration' },
        accessPolicy: { resourceType: 'AccessPolicy' },
      });
    }
    if (!path.startsWith('/fhir/R4/')) return json(outcome('not-found', 'not-found', 'Not found'), 404);

    const [type = '', id] = path.slice('/fhir/R4/'.length).split('/');
    const onBehalfOf = headers.get('x-medplum-on-behalf-of');
    const member = onBehalfOf ? members[onBehalfOf] : undefined;
    if (onBehalfOf && !member) {
      return options.onBehalfOfRefusal === 'legacy'
        ? json(outcome('forbidden', 'forbidden', 'Forbidden'), 403)
        : json(
            {
              resourceType: 'OperationOutcome',
              issue: [
                {
                  severity: 'error',
                  code: 'invalid',
                  details: { text: 'Authentication error' },
                  diagnostics: 'Forbidden',
                },
              ],
            },
            400
          );
    }
    if (member && !member.types.includes(type)) return json(outcome('forbidden', 'forbidden', 'Forbidden'), 403);

    if (method === 'GET' && id) {
      const resource = store.get(`${type}/${id}`);
      return resource ? json(resource) : json(outcome('not-found', 'not-found', 'Not found'), 404);
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
        id: `${type.toLowerCase()}-${store.size + 1}`,
        meta: {
          versionId: '1',
          lastUpdated: new Date().toISOString(),
          author: { reference: `ClientApplication/${clientId}`, display: 'Legacy clinic proxy' },
          ...(member ? { onBehalfOf: { reference: member.profile } } : {}),
        },
      };
      store.set(`${type}/${created.id}`, created);
      return json(created, 201);
    }
    return json(outcome('not-found', 'not-found', 'Not found'), 404);
  };

  return {
    baseUrl,
    clientId,
    clientSecret,
    fetch,
    requests,
    store,
    noisyHeaders,
    tokenRequests: () => requests.filter((r) => r.url.pathname === '/oauth2/token').length,
    fhirRequests: () => requests.filter((r) => r.url.pathname.startsWith('/fhir/')),
    revokeAll: () => issued.clear(),
  };
}

/**
 * Unit-test double of Medplum's HTTP surface (token endpoint, /auth/me, FHIR) as a `fetch` function. Only for unit
 * tests; integration tests use the emulator over real HTTP.
 */
export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string | undefined;
}

export interface FakeMedplumOptions {
  baseUrl?: string;
  clientId?: string;
  /** Access-token lifetime in seconds. */
  lifetimeSeconds?: number;
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function fakeMedplum(options: FakeMedplumOptions = {}) {
  const baseUrl = options.baseUrl ?? 'https://medplum.test/';
  const clientId = options.clientId ?? 'client-1';
  const requests: RecordedRequest[] = [];
  const issued = new Set<string>();
  let serial = 0;
  let tokenStatus: number | undefined;
  let fhirUnauthorizedOnce = 0;
  let fhirAlwaysUnauthorized = false;
  let tokenGate: Promise<void> | undefined;

  function json(body: unknown, status = 200): Response {
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/fhir+json' } });
  }

  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input : input.url);
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === 'string' ? init.body : undefined;
    const method = init?.method ?? 'GET';
    requests.push({ method, url, headers, body });
    const path = url.pathname;

    if (path === '/oauth2/token') {
      if (tokenGate) await tokenGate;
      if (tokenStatus) {
        return tokenStatus === 429
          ? json(
              {
                resourceType: 'OperationOutcome',
                id: 'too-many-requests',
                issue: [{ severity: 'error', code: 'throttled', details: { text: 'Too Many Requests' } }],
              },
              429
            )
          : json({ error: 'invalid_request', error_description: 'Invalid secret' }, tokenStatus);
      }
      const now = Math.floor(Date.now() / 1000);
      const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({
        login_id: `login-${++serial}`,
        client_id: clientId,
        sub: clientId,
        profile: `ClientApplication/${clientId}`,
        iat: now,
        exp: now + (options.lifetimeSeconds ?? 3600),
        n: serial,
      })}.sig`;
      issued.add(token);
      return json({
        token_type: 'Bearer',
        access_token: token,
        expires_in: options.lifetimeSeconds ?? 3600,
        project: { reference: 'Project/p1' },
        profile: { reference: `ClientApplication/${clientId}` },
      });
    }

    const auth = headers.get('authorization') ?? '';
    const bearer = auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const basicOk = auth.startsWith('Basic ');
    const valid = basicOk || (bearer !== undefined && issued.has(bearer));
    const fhir = path.startsWith('/fhir/');
    if (!valid || (fhir && fhirAlwaysUnauthorized) || (fhir && fhirUnauthorizedOnce > 0)) {
      if (fhir && fhirUnauthorizedOnce > 0) fhirUnauthorizedOnce--;
      return json(
        {
          resourceType: 'OperationOutcome',
          id: 'unauthorized',
          issue: [{ severity: 'error', code: 'login', details: { text: 'Unauthorized' } }],
        },
        401
      );
    }
    if (path === '/auth/me') {
      return json({
        profile: { resourceType: 'ClientApplication', id: clientId },
        project: { resourceType: 'Project', id: 'p1' },
        membership: { resourceType: 'ProjectMembership', id: 'm1' },
        config: { resourceType: 'UserConfiguration' },
        accessPolicy: { resourceType: 'AccessPolicy' },
      });
    }
    if (path.startsWith('/fhir/R4/')) {
      const [type, id] = path.slice('/fhir/R4/'.length).split('/');
      const onBehalfOf = headers.get('x-medplum-on-behalf-of') ?? undefined;
      if (method === 'GET' && id)
        return json({
          resourceType: type,
          id,
          meta: { onBehalfOf: onBehalfOf ? { reference: onBehalfOf } : undefined },
        });
      if (method === 'GET') return json({ resourceType: 'Bundle', type: 'searchset', entry: [] });
      const resource = body ? JSON.parse(body) : {};
      return json(
        {
          ...resource,
          id: `id-${requests.length}`,
          meta: { onBehalfOf: onBehalfOf ? { reference: onBehalfOf } : undefined },
        },
        201
      );
    }
    return json(
      { resourceType: 'OperationOutcome', id: 'not-found', issue: [{ severity: 'error', code: 'not-found' }] },
      404
    );
  };

  return {
    baseUrl,
    clientId,
    fetch,
    requests,
    tokenRequests: () => requests.filter((r) => r.url.pathname === '/oauth2/token'),
    fhirRequests: () => requests.filter((r) => r.url.pathname.startsWith('/fhir/')),
    /** Every issued token stops being accepted (as after a server-side revocation). */
    revokeAll: () => issued.clear(),
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

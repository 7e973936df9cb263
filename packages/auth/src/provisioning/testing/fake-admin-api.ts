import { randomUUID } from 'node:crypto';

type Json = Record<string, unknown> & {
  resourceType: string;
  id?: string;
  meta?: { tag?: { system?: string; code?: string }[] };
};

/** The fake's resources by type and id. */
type Store = Map<string, Map<string, Json>>;

function table(store: Store, type: string): Map<string, Json> {
  const existing = store.get(type);
  if (existing) return existing;
  const created = new Map<string, Json>();
  store.set(type, created);
  return created;
}

function put(store: Store, resource: Json): Json {
  const id = resource.id ?? randomUUID();
  const saved = { ...resource, id, meta: { ...(resource.meta ?? {}), versionId: randomUUID() } } as Json;
  table(store, resource.resourceType).set(id, saved);
  return saved;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/fhir+json' } });
const ref = (r: Json) => ({ reference: `${r.resourceType}/${r.id}` });
const notFound = () => json({ resourceType: 'OperationOutcome', id: 'not-found', issue: [] }, 404);

function matches(resource: Json, key: string, value: string): boolean {
  const [system, code] = value.split('|');
  switch (key) {
    case '_tag':
      return !!resource.meta?.tag?.some((t) => t.system === system && t.code === code);
    case 'identifier':
      return !!(resource.identifier as { system?: string; value?: string }[] | undefined)?.some(
        (i) => i.system === system && i.value === code
      );
    case 'user':
    case 'profile':
      return (resource[key] as { reference?: string } | undefined)?.reference === value;
    case '_count':
      return true;
    default:
      throw new Error(`fake: unsupported search ${key}`);
  }
}

/** A client-credentials token for the admin client (an unsigned JWT: the SDK only reads its claims). */
function tokenResponse(projectId: string): Response {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return json({
    access_token: `${b64({ alg: 'none' })}.${b64({ exp, login_id: 'l', client_id: 'admin' })}.s`,
    token_type: 'Bearer',
    project: { reference: `Project/${projectId}` },
    profile: { reference: 'ClientApplication/admin' },
  });
}

function meResponse(projectId: string): Response {
  return json({
    profile: { resourceType: 'ClientApplication', id: 'admin' },
    project: { resourceType: 'Project', id: projectId, name: 'Fake' },
    membership: { resourceType: 'ProjectMembership', id: 'admin-m', admin: true },
  });
}

/** `admin/projects/:id/client`: the client with a generated secret, and its membership. */
function createClient(store: Store, projectId: string, body: Json): Response {
  const client = put(store, {
    resourceType: 'ClientApplication',
    name: body.name,
    description: body.description,
    secret: randomUUID(),
  });
  put(store, {
    resourceType: 'ProjectMembership',
    project: { reference: `Project/${projectId}` },
    user: ref(client),
    profile: ref(client),
    ...(body.accessPolicy ? { accessPolicy: body.accessPolicy } : {}),
  });
  return json(client, 201);
}

/** `admin/projects/:id/invite`: User + profile (name and email only) + membership. */
function invite(store: Store, projectId: string, body: Json): Response {
  const user = put(store, {
    resourceType: 'User',
    email: body.email,
    firstName: body.firstName,
    lastName: body.lastName,
  });
  const profile = put(store, {
    resourceType: body.resourceType as string,
    name: [{ given: [body.firstName], family: body.lastName }],
    telecom: [{ system: 'email', use: 'work', value: body.email }],
  });
  const membership = put(store, {
    resourceType: 'ProjectMembership',
    project: { reference: `Project/${projectId}` },
    user: ref(user),
    profile: ref(profile),
    ...(body.accessPolicy ? { accessPolicy: body.accessPolicy } : {}),
    ...(body.access ? { access: body.access } : {}),
    ...(body.admin !== undefined ? { admin: body.admin } : {}),
  });
  return json(membership);
}

/** `/fhir/R4/:type[/:id]`: read, search, create and update. */
function fhir(store: Store, method: string, url: URL, body: Json | undefined): Response {
  const match = /^\/fhir\/R4\/([A-Za-z]+)(?:\/([^/]+))?$/.exec(url.pathname);
  if (!match?.[1]) return notFound();
  const [, type, id] = match;
  if (method === 'GET' && id) {
    const found = table(store, type).get(id);
    return found ? json(found) : notFound();
  }
  if (method === 'GET') {
    const params = [...url.searchParams.entries()];
    const hits = [...table(store, type).values()].filter((r) => params.every(([k, v]) => matches(r, k, v)));
    return json({ resourceType: 'Bundle', type: 'searchset', entry: hits.map((resource) => ({ resource })) });
  }
  if (method === 'POST' && body) return json(put(store, { ...body, id: undefined }), 201);
  if (method === 'PUT' && body && id) return json(put(store, { ...body, id }));
  return notFound();
}

/**
 * Unit-test double of the admin and FHIR endpoints `provisionProject` calls on a real Medplum (as a fetch). It keeps
 * the behaviour provisioning relies on: `admin/projects/:id/client` creates a client with a generated secret and a
 * membership; `admin/projects/:id/invite` creates User + profile + membership (name and email only).
 */
export function fakeAdminApi(projectId = 'project-1', quirks: { brokenInvite?: boolean } = {}) {
  const store: Store = new Map();
  const calls: string[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input : input.url);
    const method = init?.method ?? 'GET';
    const body =
      typeof init?.body === 'string' && init.body.startsWith('{') ? (JSON.parse(init.body) as Json) : undefined;
    calls.push(`${method} ${url.pathname}`);
    const path = url.pathname;
    if (path === '/oauth2/token') return tokenResponse(projectId);
    if (path === '/auth/me') return meResponse(projectId);
    if (path === `/admin/projects/${projectId}/client` && body) return createClient(store, projectId, body);
    if (path === `/admin/projects/${projectId}/invite` && quirks.brokenInvite)
      return json({ resourceType: 'OperationOutcome', id: 'ok', issue: [] });
    if (path === `/admin/projects/${projectId}/invite` && body) return invite(store, projectId, body);
    return fhir(store, method, url, body);
  };
  return { fetch, store, calls, projectId };
}

import { randomUUID } from 'node:crypto';

type Json = Record<string, unknown> & {
  resourceType: string;
  id?: string;
  meta?: { tag?: { system?: string; code?: string }[] };
};

/**
 * Unit-test double of the admin and FHIR endpoints `provisionProject` calls on a real Medplum (as a fetch). It keeps
 * the behaviour provisioning relies on: `admin/projects/:id/client` creates a client with a generated secret and a
 * membership; `admin/projects/:id/invite` creates User + profile + membership (name and email only).
 */
export function fakeAdminApi(projectId = 'project-1', quirks: { brokenInvite?: boolean } = {}) {
  const store = new Map<string, Map<string, Json>>();
  const calls: string[] = [];
  const table = (type: string) => {
    const existing = store.get(type);
    if (existing) return existing;
    const created = new Map<string, Json>();
    store.set(type, created);
    return created;
  };
  const put = (resource: Json): Json => {
    const id = resource.id ?? randomUUID();
    const saved = { ...resource, id, meta: { ...(resource.meta ?? {}), versionId: randomUUID() } } as Json;
    table(resource.resourceType).set(id, saved);
    return saved;
  };
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/fhir+json' } });
  const ref = (r: Json) => ({ reference: `${r.resourceType}/${r.id}` });

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

  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input : input.url);
    const method = init?.method ?? 'GET';
    const body =
      typeof init?.body === 'string' && init.body.startsWith('{') ? (JSON.parse(init.body) as Json) : undefined;
    calls.push(`${method} ${url.pathname}`);
    const path = url.pathname;
    if (path === '/oauth2/token') {
      const exp = Math.floor(Date.now() / 1000) + 3600;
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      return json({
        access_token: `${b64({ alg: 'none' })}.${b64({ exp, login_id: 'l', client_id: 'admin' })}.s`,
        token_type: 'Bearer',
        project: { reference: `Project/${projectId}` },
        profile: { reference: 'ClientApplication/admin' },
      });
    }
    if (path === '/auth/me') {
      return json({
        profile: { resourceType: 'ClientApplication', id: 'admin' },
        project: { resourceType: 'Project', id: projectId, name: 'Fake' },
        membership: { resourceType: 'ProjectMembership', id: 'admin-m', admin: true },
      });
    }
    if (path === `/admin/projects/${projectId}/client` && body) {
      const client = put({
        resourceType: 'ClientApplication',
        name: body.name,
        description: body.description,
        secret: randomUUID(),
      });
      put({
        resourceType: 'ProjectMembership',
        project: { reference: `Project/${projectId}` },
        user: ref(client),
        profile: ref(client),
        ...(body.accessPolicy ? { accessPolicy: body.accessPolicy } : {}),
      });
      return json(client, 201);
    }
    if (path === `/admin/projects/${projectId}/invite` && quirks.brokenInvite)
      return json({ resourceType: 'OperationOutcome', id: 'ok', issue: [] });
    if (path === `/admin/projects/${projectId}/invite` && body) {
      const user = put({ resourceType: 'User', email: body.email, firstName: body.firstName, lastName: body.lastName });
      const profile = put({
        resourceType: body.resourceType as string,
        name: [{ given: [body.firstName], family: body.lastName }],
        telecom: [{ system: 'email', use: 'work', value: body.email }],
      });
      const membership = put({
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
    const fhir = /^\/fhir\/R4\/([A-Za-z]+)(?:\/([^/]+))?$/.exec(path);
    if (fhir?.[1]) {
      const [, type, id] = fhir;
      if (method === 'GET' && id) {
        const found = table(type).get(id);
        return found ? json(found) : json({ resourceType: 'OperationOutcome', id: 'not-found', issue: [] }, 404);
      }
      if (method === 'GET') {
        const params = [...url.searchParams.entries()];
        const hits = [...table(type).values()].filter((r) => params.every(([k, v]) => matches(r, k, v)));
        return json({ resourceType: 'Bundle', type: 'searchset', entry: hits.map((resource) => ({ resource })) });
      }
      if (method === 'POST' && body) return json(put({ ...body, id: undefined }), 201);
      if (method === 'PUT' && body && id) return json(put({ ...body, id }));
    }
    return json({ resourceType: 'OperationOutcome', id: 'not-found', issue: [] }, 404);
  };
  return { fetch, store, calls, projectId };
}

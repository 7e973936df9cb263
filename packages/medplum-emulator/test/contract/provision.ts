import { randomBytes } from 'node:crypto';
import type {
  Bundle,
  ClientApplication,
  Coding,
  Project,
  ProjectMembership,
  Resource,
  ResourceType,
  User,
} from '@medplum/fhirtypes';

/**
 * Against a real Medplum the suites get one project and a project-admin client, nothing else. This module creates what
 * a case needs — the resources of a seed Bundle written for the emulator — through the APIs a project admin has there:
 * `POST admin/projects/:id/invite` for users (with a password, so a test can sign in), `POST admin/projects/:id/client`
 * for confidential clients (Medplum's packages/server/src/admin/client.ts and invite.ts), plain FHIR writes for the
 * rest. Medplum picks the ids (and the clients' secrets), so every id, secret and email of the seed is mapped to what
 * was created; everything created carries the run's tag (users a run-unique email) and is deleted by `cleanup()`.
 */

/** The tag every resource a run creates carries (`meta.tag`), so a leftover can be found and removed by hand. */
export const RUN_TAG_SYSTEM = 'https://github.com/org/medplum-reference/contract-run';

export interface AdminSession {
  baseUrl: string;
  accessToken: string;
}

/** An email and its password, so an invited user can sign in with what the seed's constant says. */
export interface Credentials {
  email: string;
  password: string;
}

export interface Provisioned {
  tag: string;
  /** Seed value (id, secret, email) → the value on the target. */
  mapping: Map<string, string>;
  /** Seed resources no project-admin API creates (another project, Logins, keys, …), as `Type/id`. */
  unprovisioned: string[];
  /** Deletes what was created, newest first; answers what is left (server-wide Users: only a super admin deletes them). */
  cleanup(): Promise<string[]>;
}

type Created = { resourceType: string; id: string };

const PROTECTED_TYPES = new Set(['Project', 'Login', 'JsonWebKey', 'DomainConfiguration', 'User', 'ProjectMembership']);

export async function provisionSeed(
  session: AdminSession,
  seed: Bundle,
  credentials: readonly Credentials[]
): Promise<Provisioned> {
  const api = adminApi(session);
  const tag = `run-${randomBytes(6).toString('hex')}`;
  const { project } = await api.json<{ project: Project & { id: string } }>('GET', 'auth/me');
  const resources = (seed.entry ?? []).flatMap((entry) => (entry.resource ? [entry.resource] : []));
  const seedProjectId = resources.find((resource) => resource.resourceType === 'Project')?.id;
  const state: State = { api, tag, mapping: new Map(), created: [], serverWideUsers: [], projectId: project.id };
  if (seedProjectId) state.mapping.set(seedProjectId, project.id);

  const inProject = resources.filter((resource) => !resource.meta?.project || resource.meta.project === seedProjectId);
  const memberships = inProject.filter((r): r is ProjectMembership => r.resourceType === 'ProjectMembership');
  const membershipOf = (reference: string) => memberships.find((m) => m.user?.reference === reference);
  const done = new Set<Resource>();
  const refused: string[] = [];
  // Policies first (memberships name them), then users (patients name their practitioners), then everything else,
  // then clients (their memberships' parameters name devices and the like).
  const steps: [() => Resource[], (resource: Resource) => Promise<Resource[]>][] = [
    [() => inProject.filter((r) => r.resourceType === 'AccessPolicy'), (r) => createResource(state, r).then(() => [r])],
    [
      // One invite per user: their first membership (a user the seed does not hold gets a name of its own).
      () => memberships.filter((m) => m.user?.reference?.startsWith('User/') && membershipOf(m.user.reference) === m),
      (membership) => inviteUser(state, membership as ProjectMembership, resources, credentials),
    ],
    [
      // Further memberships of an invited user (another profile, an inactive one) as plain FHIR writes.
      () =>
        inProject.filter(
          (r) =>
            (!PROTECTED_TYPES.has(r.resourceType) && r.resourceType !== 'ClientApplication') ||
            (r.resourceType === 'ProjectMembership' && state.mapping.has(r.user?.reference?.split('/')[1] ?? ''))
        ),
      (r) => createResource(state, r).then(() => [r]),
    ],
    [
      () => inProject.filter((r) => r.resourceType === 'ClientApplication'),
      (client) => createClient(state, client as ClientApplication, membershipOf(`ClientApplication/${client.id}`)),
    ],
  ];
  for (const [candidates, create] of steps) {
    for (const resource of candidates()) {
      if (done.has(resource)) continue;
      try {
        for (const handled of await create(resource)) done.add(handled);
      } catch (error) {
        refused.push(`${resource.resourceType}/${resource.id} (${(error as Error).message.slice(0, 200)})`);
        done.add(resource);
      }
    }
  }

  const unprovisioned = [
    ...resources
      .filter((r) => !done.has(r) && !(r.resourceType === 'Project' && r.id === seedProjectId))
      .map((r) => `${r.resourceType}/${r.id}`),
    ...refused,
  ];
  return {
    tag,
    mapping: state.mapping,
    unprovisioned,
    async cleanup() {
      const left: string[] = [];
      for (const resource of [...state.created].reverse()) {
        const response = await api.send('DELETE', `fhir/R4/${resource.resourceType}/${resource.id}`);
        if (!response.ok && response.status !== 404 && response.status !== 410) {
          left.push(`${resource.resourceType}/${resource.id} (${response.status})`);
        }
      }
      return [...left, ...state.serverWideUsers];
    },
  };
}

interface State {
  api: ReturnType<typeof adminApi>;
  tag: string;
  mapping: Map<string, string>;
  created: Created[];
  serverWideUsers: string[];
  projectId: string;
}

/** A seed resource written through FHIR: its seed id and meta dropped, the run's tag added, references mapped. */
async function createResource<T extends Resource>(state: State, resource: T): Promise<T & { id: string }> {
  const { id, meta, ...fields } = mapValues(resource, state.mapping);
  const written = await state.api.json<T & { id: string }>('POST', `fhir/R4/${resource.resourceType}`, {
    ...fields,
    meta: { tag: [runTag(state.tag), ...(meta?.tag ?? [])] },
  });
  remember(state, resource, written);
  return written;
}

/** A user by invite, as a project admin adds one on Medplum: profile and membership from the seed's membership. */
async function inviteUser(
  state: State,
  membership: ProjectMembership,
  resources: readonly Resource[],
  credentials: readonly Credentials[]
): Promise<Resource[]> {
  const userId = membership.user?.reference?.split('/')[1] ?? '';
  const seedUser = resources.find((r): r is User => r.resourceType === 'User' && r.id === userId);
  const user: User = seedUser ?? { resourceType: 'User', firstName: 'Test', lastName: 'Member' };
  const email = runEmail(user.email ?? `member-${userId}@example.com`, state.tag);
  if (user.email) state.mapping.set(user.email, email);
  const template = membershipTemplate(membership, state.mapping);
  const { accessPolicy, admin } = template;
  const profileType = (membership.profile?.reference ?? 'Practitioner/').split('/')[0] as ResourceType;
  const invited = await state.api.json<ProjectMembership & { id: string }>(
    'POST',
    `admin/projects/${state.projectId}/invite`,
    {
      resourceType: profileType,
      firstName: user.firstName,
      lastName: user.lastName,
      email,
      password: credentials.find((c) => c.email === user.email)?.password ?? randomBytes(16).toString('hex'),
      sendEmail: false,
      ...(accessPolicy ? { accessPolicy } : {}),
      ...(admin !== undefined ? { admin } : {}),
      membership: template,
    }
  );
  const [, invitedId] = invited.user?.reference?.split('/') ?? [];
  const [, profileId] = invited.profile?.reference?.split('/') ?? [];
  if (!invitedId || !profileId) throw new Error(`invite of ${email} answered no user or profile`);
  // An invited patient is a project User the admin can delete; anyone else is a server-wide User, which only a super
  // admin can (Medplum's project-admin policy covers `User?_project=…` only: packages/server/src/fhir/accesspolicy.ts).
  if (profileType === 'Patient') state.created.push({ resourceType: 'User', id: invitedId });
  else state.serverWideUsers.push(`User/${invitedId} (${email})`);
  state.created.push({ resourceType: profileType, id: profileId });
  state.mapping.set(userId, invitedId);
  const seedProfileId = membership.profile?.reference?.split('/')[1];
  if (seedProfileId) state.mapping.set(seedProfileId, profileId);
  remember(state, membership, invited);
  const profile = resources.find((r) => `${r.resourceType}/${r.id}` === membership.profile?.reference);
  return [...(seedUser ? [seedUser] : []), membership, ...(profile ? [profile] : [])];
}

/**
 * A confidential client (one with a membership in the seed) through the admin client endpoint, which creates its
 * membership and secret; a public one through FHIR. The seed's other fields are then laid over it with an update.
 */
async function createClient(
  state: State,
  client: ClientApplication,
  membership?: ProjectMembership
): Promise<Resource[]> {
  const { id, meta, secret, ...fields } = mapValues(client, state.mapping);
  if (!membership) {
    // A client users sign in through: no membership of its own, its secret (if any) as the server stored it.
    const written = await createResource(state, client);
    for (const field of ['secret', 'retiringSecret'] as const) {
      if (client[field] && written[field]) state.mapping.set(client[field], written[field]);
    }
    return [client];
  }
  const made = await state.api.json<ClientApplication & { id: string }>(
    'POST',
    `admin/projects/${state.projectId}/client`,
    { name: `${client.name ?? 'client'} ${state.tag}` }
  );
  remember(state, client, made);
  // The seed's secret if the server lets a project admin set it, else the one it generated.
  const updated = await state.api.json<ClientApplication>('PUT', `fhir/R4/ClientApplication/${made.id}`, {
    ...fields,
    id: made.id,
    secret: secret || made.secret,
    meta: { tag: [runTag(state.tag)] },
  });
  if (secret && updated.secret) state.mapping.set(secret, updated.secret);
  const search = await state.api.json<Bundle<ProjectMembership>>(
    'GET',
    `fhir/R4/ProjectMembership?user=ClientApplication/${made.id}`
  );
  const madeMembership = search.entry?.[0]?.resource;
  if (!madeMembership?.id) throw new Error(`no membership for the new client ${made.id}`);
  await state.api.json('PUT', `fhir/R4/ProjectMembership/${madeMembership.id}`, {
    ...madeMembership,
    ...membershipTemplate(membership, state.mapping),
  });
  remember(state, membership, madeMembership as ProjectMembership & { id: string });
  return [client, membership];
}

/** A seed membership's own fields (policies, `admin`, `active`, `externalId`, …), without who and where it is. */
function membershipTemplate(
  membership: ProjectMembership,
  mapping: ReadonlyMap<string, string>
): Partial<ProjectMembership> {
  const {
    id: _id,
    meta: _meta,
    project: _project,
    user: _user,
    profile: _profile,
    ...template
  } = mapValues(membership, mapping);
  return template;
}

function remember(state: State, seeded: Resource, written: { resourceType: string; id: string }): void {
  if (seeded.id) state.mapping.set(seeded.id, written.id);
  if (!state.created.some((c) => c.resourceType === written.resourceType && c.id === written.id)) {
    state.created.push({ resourceType: written.resourceType, id: written.id });
  }
}

function runTag(tag: string): Coding {
  return { system: RUN_TAG_SYSTEM, code: tag };
}

/** `alice@example.com` → `alice+run-1a2b…@example.com`: Users are server-wide on Medplum, so each run needs its own. */
function runEmail(email: string, tag: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, at)}+${tag}${email.slice(at)}`;
}

/** A deep copy with every mapped value replaced: whole strings, and the id of a `Type/id` reference. */
export function mapValues<T>(value: T, mapping: ReadonlyMap<string, string>): T {
  if (typeof value === 'string') {
    const whole = mapping.get(value);
    if (whole !== undefined) return whole as T;
    const reference = /^([A-Z][A-Za-z]+)\/([^/?#]+)$/.exec(value);
    const id = reference?.[2] && mapping.get(reference[2]);
    return (id ? `${reference?.[1]}/${id}` : value) as T;
  }
  if (Array.isArray(value)) return value.map((item) => mapValues(item, mapping)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapValues(item, mapping)])) as T;
  }
  return value;
}

function adminApi(session: AdminSession) {
  const send = (method: string, path: string, body?: unknown) =>
    fetch(`${session.baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${session.accessToken}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/fhir+json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    send,
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await send(method, path, body);
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
  };
}

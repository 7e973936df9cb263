import type { MedplumClient } from '@medplum/core';
import type { ClientApplication, Practitioner, ProjectMembership, Reference, Resource } from '@medplum/fhirtypes';
import type { AuthModel, ModelEntry } from './model/index.ts';

/**
 * Makes a real Medplum project match the auth model, idempotently, with a project admin's client. Uses only APIs a
 * real Medplum offers:
 *   - FHIR search / create / update (`/fhir/R4/...`) for AccessPolicy, Device, Patient, Subscription, Practitioner,
 *     ClientApplication and ProjectMembership (project admins may update memberships; `project` and `user` stay);
 *   - `POST admin/projects/:projectId/client` to create a ClientApplication together with its ProjectMembership
 *     (a membership whose `user` is a ClientApplication cannot be created through FHIR by a project admin);
 *   - `POST admin/projects/:projectId/invite` to create a practitioner User + profile + membership.
 * Everything it makes carries `meta.tag` `<provisioning system>|<model key>`, which is how the next run finds it.
 */

export type ProvisionAction = 'created' | 'updated' | 'unchanged' | 'missing' | 'drift';

export interface ProvisionStep {
  key: string;
  action: ProvisionAction;
  /** Live reference (`Type/id`) once known. */
  reference?: string;
  /** Top-level fields that differ from the model (drift / updated). */
  fields?: string[];
}

export interface NewClientCredentials {
  key: string;
  clientId: string;
  /** Only for a client created by this run (Medplum generated it); never logged. */
  clientSecret?: string;
}

export interface ProvisionReport {
  projectId: string;
  steps: ProvisionStep[];
  /** ClientApplications created by this run, with the ids (and generated secrets) the apps must now use. */
  newClients: NewClientCredentials[];
  counts: Record<ProvisionAction, number>;
}

export interface ProvisionOptions {
  /** Report drift, change nothing. */
  check?: boolean;
  /** One line per step; never given secrets. */
  log?: (line: string) => void;
}

type AnyResource = Resource & { id?: string; meta?: Resource['meta'] };

const IGNORED_FIELDS = new Set(['id', 'meta', 'resourceType']);

/** `desired` is contained in `live`: objects key by key, arrays element by element (same length). */
function contains(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    // Medplum drops empty arrays on write.
    if (desired.length === 0 && live === undefined) return true;
    return Array.isArray(live) && desired.length === live.length && desired.every((d, i) => contains(d, live[i]));
  }
  if (desired && typeof desired === 'object') {
    if (!live || typeof live !== 'object') return false;
    return Object.entries(desired).every(
      ([k, v]) => v === undefined || contains(v, (live as Record<string, unknown>)[k])
    );
  }
  return desired === live;
}

function differingFields(desired: AnyResource, live: AnyResource, serverOwned: readonly string[] = []): string[] {
  const fields: string[] = [];
  for (const [key, value] of Object.entries(desired)) {
    if (IGNORED_FIELDS.has(key) || serverOwned.includes(key)) continue;
    if (!contains(value, (live as unknown as Record<string, unknown>)[key])) fields.push(key);
  }
  const tags = desired.meta?.tag ?? [];
  if (!tags.every((t) => live.meta?.tag?.some((l) => l.system === t.system && l.code === t.code)))
    fields.push('meta.tag');
  return fields;
}

function merged<T extends AnyResource>(live: T, desired: AnyResource, serverOwned: readonly string[] = []): T {
  const result: Record<string, unknown> = { ...live };
  for (const [key, value] of Object.entries(desired)) {
    if (IGNORED_FIELDS.has(key) || serverOwned.includes(key)) continue;
    result[key] = value;
  }
  const tags = [...(live.meta?.tag ?? [])];
  for (const t of desired.meta?.tag ?? []) {
    if (!tags.some((l) => l.system === t.system && l.code === t.code)) tags.push(t);
  }
  result.meta = { ...live.meta, tag: tags };
  return result as T;
}

function referenceOf(resource: AnyResource): string {
  return `${resource.resourceType}/${resource.id}`;
}

export async function provisionProject(
  admin: MedplumClient,
  model: AuthModel,
  options: ProvisionOptions = {}
): Promise<ProvisionReport> {
  const check = options.check ?? false;
  const log = options.log ?? (() => {});
  if (!admin.getProject()) await admin.getProfileAsync();
  const project = admin.getProject();
  const projectId = project?.id;
  if (!projectId) throw new Error('the admin credentials are not signed in to a project');
  if (!admin.isProjectAdmin()) throw new Error('provisioning needs a project admin (ProjectMembership.admin = true)');

  const entries = new Map(model.entries.map((e) => [e.key, e]));
  // seed id -> live id; applied as text so references, criteria and access parameters all follow.
  const ids = new Map<string, string>([[model.projectId, projectId]]);
  const steps: ProvisionStep[] = [];
  const newClients: NewClientCredentials[] = [];

  const live = <T extends AnyResource>(resource: T): T => {
    let json = JSON.stringify(resource);
    for (const [seedId, liveId] of ids) if (seedId !== liveId) json = json.replaceAll(seedId, liveId);
    const copy = JSON.parse(json) as T;
    delete copy.id;
    if (copy.meta) {
      const { project: _project, ...meta } = copy.meta;
      copy.meta = meta;
    }
    return copy;
  };
  const record = (step: ProvisionStep) => {
    steps.push(step);
    log(
      `${step.action.padEnd(9)} ${step.key}${step.reference ? ` (${step.reference})` : ''}${step.fields?.length ? ` [${step.fields.join(', ')}]` : ''}`
    );
  };
  const mapId = (entry: ModelEntry | undefined, liveResource: AnyResource | Reference | undefined) => {
    const liveId =
      liveResource && ('reference' in liveResource ? liveResource.reference?.split('/')[1] : liveResource.id);
    if (entry && liveId) ids.set(entry.resource.id, liveId);
  };

  async function findOne<T extends AnyResource>(query: string): Promise<T | undefined> {
    const [type, search] = query.split('?') as [string, string];
    const bundle = await admin.search(type as T['resourceType'], search);
    const found = (bundle.entry ?? []).map((e) => e.resource as T).filter(Boolean);
    if (found.length > 1) throw new Error(`${query} matches ${found.length} resources; resolve that by hand first`);
    return found[0];
  }

  /** Create or update one resource through FHIR; returns the live resource (undefined when missing in check mode). */
  async function upsert<T extends AnyResource>(
    entry: ModelEntry,
    existing: T | undefined,
    desired: AnyResource = live(entry.resource)
  ): Promise<T | undefined> {
    if (!existing) {
      if (check) {
        record({ key: entry.key, action: 'missing' });
        return undefined;
      }
      const created = (await admin.createResource(desired)) as T;
      record({ key: entry.key, action: 'created', reference: referenceOf(created) });
      return created;
    }
    const fields = differingFields(desired, existing, entry.serverOwned);
    if (fields.length === 0) {
      record({ key: entry.key, action: 'unchanged', reference: referenceOf(existing) });
      return existing;
    }
    if (check) {
      record({ key: entry.key, action: 'drift', reference: referenceOf(existing), fields });
      return existing;
    }
    const updated = (await admin.updateResource(merged(existing, desired, entry.serverOwned))) as T;
    record({ key: entry.key, action: 'updated', reference: referenceOf(updated), fields });
    return updated;
  }

  async function membershipFor(entry: ModelEntry, filter: string): Promise<void> {
    const membershipEntry = entry.membershipKey ? entries.get(entry.membershipKey) : undefined;
    if (!membershipEntry) return;
    const existing = await findOne<ProjectMembership>(`ProjectMembership?${filter}`);
    if (!existing) {
      record({ key: membershipEntry.key, action: 'missing' });
      return;
    }
    mapId(membershipEntry, existing);
    // Only what a project admin may change: project and user are read-only, the profile is fixed at creation.
    const { project: _p, user: _u, profile: _pr, ...wanted } = live(membershipEntry.resource) as ProjectMembership;
    await upsert(membershipEntry, existing, wanted as AnyResource);
  }

  for (const entry of model.entries) {
    switch (entry.via) {
      case 'project':
        record({ key: entry.key, action: 'unchanged', reference: `Project/${projectId}` });
        break;
      case 'dependent':
        break;
      case 'fhir': {
        const existing = await findOne<AnyResource>(entry.match ?? '');
        mapId(entry, await upsert(entry, existing));
        break;
      }
      case 'client': {
        let existing = await findOne<ClientApplication>(entry.match ?? '');
        if (!existing && !check) {
          const desired = live(entry.resource) as ClientApplication;
          const membership = entry.membershipKey ? entries.get(entry.membershipKey) : undefined;
          const accessPolicy = membership ? (live(membership.resource) as ProjectMembership).accessPolicy : undefined;
          const created = (await admin.post(`admin/projects/${projectId}/client`, {
            name: desired.name,
            description: desired.description,
            ...(accessPolicy ? { accessPolicy } : {}),
          })) as ClientApplication;
          newClients.push({
            key: entry.key,
            clientId: created.id ?? '',
            ...(entry.publicClient ? {} : { clientSecret: created.secret }),
          });
          record({ key: entry.key, action: 'created', reference: referenceOf(created) });
          existing = created;
          mapId(entry, created);
          // The admin endpoint only knows name/description/policy: the rest (tag, redirect URIs, jwksUri, ...) now.
          const full = (await admin.updateResource(
            merged(created, live(entry.resource), entry.serverOwned)
          )) as ClientApplication;
          mapId(entry, full);
        } else {
          mapId(entry, await upsert(entry, existing));
        }
        if (existing) await membershipFor(entry, `user=ClientApplication/${existing.id}`);
        else if (entry.membershipKey) record({ key: entry.membershipKey, action: 'missing' });
        break;
      }
      case 'invite': {
        let existing = await findOne<Practitioner>(entry.match ?? '');
        const membershipEntry = entry.membershipKey ? entries.get(entry.membershipKey) : undefined;
        const userEntry = membershipEntry
          ? model.entries.find(
              (e) => e.resource.id === (membershipEntry.resource as ProjectMembership).user?.reference?.split('/')[1]
            )
          : undefined;
        if (!existing && !check && membershipEntry) {
          const practitioner = entry.resource as Practitioner;
          const desiredMembership = live(membershipEntry.resource) as ProjectMembership;
          const email = practitioner.telecom?.find((t) => t.system === 'email')?.value;
          const membership = (await admin.post(`admin/projects/${projectId}/invite`, {
            resourceType: 'Practitioner',
            firstName: practitioner.name?.[0]?.given?.[0] ?? 'Dev',
            lastName: practitioner.name?.[0]?.family ?? 'Practitioner',
            email,
            ...(entry.password ? { password: entry.password } : {}),
            sendEmail: false,
            upsert: true,
            ...(desiredMembership.accessPolicy ? { accessPolicy: desiredMembership.accessPolicy } : {}),
            ...(desiredMembership.access ? { access: desiredMembership.access } : {}),
            ...(desiredMembership.admin !== undefined ? { admin: desiredMembership.admin } : {}),
          })) as ProjectMembership;
          if (!membership.profile?.reference) throw new Error(`invite for ${entry.key} returned no membership`);
          const profile = (await admin.readReference(membership.profile)) as Practitioner;
          mapId(entry, profile);
          mapId(userEntry, membership.user);
          mapId(membershipEntry, membership);
          const updated = (await admin.updateResource(merged(profile, live(entry.resource)))) as Practitioner;
          record({ key: entry.key, action: 'created', reference: referenceOf(updated) });
          existing = updated;
        } else {
          mapId(entry, await upsert(entry, existing));
        }
        if (existing) {
          const membership = await findOne<ProjectMembership>(`ProjectMembership?profile=Practitioner/${existing.id}`);
          mapId(userEntry, membership?.user);
          await membershipFor(entry, `profile=Practitioner/${existing.id}`);
        } else if (entry.membershipKey) {
          record({ key: entry.membershipKey, action: 'missing' });
        }
        break;
      }
    }
  }

  const counts: Record<ProvisionAction, number> = { created: 0, updated: 0, unchanged: 0, missing: 0, drift: 0 };
  for (const step of steps) counts[step.action]++;
  return { projectId, steps, newClients, counts };
}

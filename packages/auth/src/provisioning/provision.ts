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
  /** One line per step, with the step it describes (to show only changes, say); never given secrets. */
  log?: (line: string, step: ProvisionStep) => void;
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

/** One provisioning run: the admin client, the model, and what the run has learnt and done so far. */
interface Run {
  admin: MedplumClient;
  model: AuthModel;
  check: boolean;
  log: NonNullable<ProvisionOptions['log']>;
  projectId: string;
  entries: Map<string, ModelEntry>;
  /** seed id -> live id; applied as text so references, criteria and access parameters all follow. */
  ids: Map<string, string>;
  steps: ProvisionStep[];
  newClients: NewClientCredentials[];
}

export async function provisionProject(
  admin: MedplumClient,
  model: AuthModel,
  options: ProvisionOptions = {}
): Promise<ProvisionReport> {
  const run = await startRun(admin, model, options);
  for (const entry of model.entries) {
    switch (entry.via) {
      case 'project':
        record(run, { key: entry.key, action: 'unchanged', reference: `Project/${run.projectId}` });
        break;
      case 'dependent':
        break;
      case 'fhir': {
        const existing = await findOne<AnyResource>(run, entry.match ?? '');
        mapId(run, entry, await upsert(run, entry, existing));
        break;
      }
      case 'client':
        await provisionClient(run, entry);
        break;
      case 'invite':
        await provisionPractitioner(run, entry);
        break;
    }
  }
  const counts: Record<ProvisionAction, number> = { created: 0, updated: 0, unchanged: 0, missing: 0, drift: 0 };
  for (const step of run.steps) counts[step.action]++;
  return { projectId: run.projectId, steps: run.steps, newClients: run.newClients, counts };
}

async function startRun(admin: MedplumClient, model: AuthModel, options: ProvisionOptions): Promise<Run> {
  if (!admin.getProject()) await admin.getProfileAsync();
  const projectId = admin.getProject()?.id;
  if (!projectId) throw new Error('the admin credentials are not signed in to a project');
  if (!admin.isProjectAdmin()) throw new Error('provisioning needs a project admin (ProjectMembership.admin = true)');
  return {
    admin,
    model,
    check: options.check ?? false,
    log: options.log ?? (() => {}),
    projectId,
    entries: new Map(model.entries.map((e) => [e.key, e])),
    ids: new Map<string, string>([[model.projectId, projectId]]),
    steps: [],
    newClients: [],
  };
}

/** The model resource with seed ids replaced by live ones, without id and meta.project (the server sets them). */
function live<T extends AnyResource>(run: Run, resource: T): T {
  let json = JSON.stringify(resource);
  for (const [seedId, liveId] of run.ids) if (seedId !== liveId) json = json.replaceAll(seedId, liveId);
  const copy = JSON.parse(json) as T;
  delete copy.id;
  if (copy.meta) {
    const { project: _project, ...meta } = copy.meta;
    copy.meta = meta;
  }
  return copy;
}

function record(run: Run, step: ProvisionStep): void {
  run.steps.push(step);
  run.log(
    `${step.action.padEnd(9)} ${step.key}${step.reference ? ` (${step.reference})` : ''}${step.fields?.length ? ` [${step.fields.join(', ')}]` : ''}`,
    step
  );
}

function mapId(run: Run, entry: ModelEntry | undefined, liveResource: AnyResource | Reference | undefined): void {
  const liveId =
    liveResource && ('reference' in liveResource ? liveResource.reference?.split('/')[1] : liveResource.id);
  if (entry && liveId) run.ids.set(entry.resource.id, liveId);
}

async function findOne<T extends AnyResource>(run: Run, query: string): Promise<T | undefined> {
  const [type, search] = query.split('?') as [string, string];
  const bundle = await run.admin.search(type as T['resourceType'], search);
  const found = (bundle.entry ?? []).map((e) => e.resource as T).filter(Boolean);
  if (found.length > 1) throw new Error(`${query} matches ${found.length} resources; resolve that by hand first`);
  return found[0];
}

/** Create or update one resource through FHIR; returns the live resource (undefined when missing in check mode). */
async function upsert<T extends AnyResource>(
  run: Run,
  entry: ModelEntry,
  existing: T | undefined,
  desired: AnyResource = live(run, entry.resource)
): Promise<T | undefined> {
  if (!existing) {
    if (run.check) {
      record(run, { key: entry.key, action: 'missing' });
      return undefined;
    }
    const created = (await run.admin.createResource(desired)) as T;
    record(run, { key: entry.key, action: 'created', reference: referenceOf(created) });
    return created;
  }
  const fields = differingFields(desired, existing, entry.serverOwned);
  if (fields.length === 0) {
    record(run, { key: entry.key, action: 'unchanged', reference: referenceOf(existing) });
    return existing;
  }
  if (run.check) {
    record(run, { key: entry.key, action: 'drift', reference: referenceOf(existing), fields });
    return existing;
  }
  const updated = (await run.admin.updateResource(merged(existing, desired, entry.serverOwned))) as T;
  record(run, { key: entry.key, action: 'updated', reference: referenceOf(updated), fields });
  return updated;
}

function membershipEntryOf(run: Run, entry: ModelEntry): ModelEntry | undefined {
  return entry.membershipKey ? run.entries.get(entry.membershipKey) : undefined;
}

async function membershipFor(run: Run, entry: ModelEntry, filter: string): Promise<void> {
  const membershipEntry = membershipEntryOf(run, entry);
  if (!membershipEntry) return;
  const existing = await findOne<ProjectMembership>(run, `ProjectMembership?${filter}`);
  if (!existing) {
    record(run, { key: membershipEntry.key, action: 'missing' });
    return;
  }
  mapId(run, membershipEntry, existing);
  // Only what a project admin may change: project and user are read-only, the profile is fixed at creation.
  const { project: _p, user: _u, profile: _pr, ...wanted } = live(run, membershipEntry.resource) as ProjectMembership;
  await upsert(run, membershipEntry, existing, wanted as AnyResource);
}

/** A ClientApplication and its membership: created through the admin endpoint, updated through FHIR. */
async function provisionClient(run: Run, entry: ModelEntry): Promise<void> {
  let existing = await findOne<ClientApplication>(run, entry.match ?? '');
  if (!existing && !run.check) {
    existing = await createClient(run, entry);
  } else {
    mapId(run, entry, await upsert(run, entry, existing));
  }
  if (existing) await membershipFor(run, entry, `user=ClientApplication/${existing.id}`);
  else if (entry.membershipKey) record(run, { key: entry.membershipKey, action: 'missing' });
}

async function createClient(run: Run, entry: ModelEntry): Promise<ClientApplication> {
  const desired = live(run, entry.resource) as ClientApplication;
  const membership = membershipEntryOf(run, entry);
  const accessPolicy = membership ? (live(run, membership.resource) as ProjectMembership).accessPolicy : undefined;
  const created = (await run.admin.post(`admin/projects/${run.projectId}/client`, {
    name: desired.name,
    description: desired.description,
    ...(accessPolicy ? { accessPolicy } : {}),
  })) as ClientApplication;
  run.newClients.push({
    key: entry.key,
    clientId: created.id ?? '',
    ...(entry.publicClient ? {} : { clientSecret: created.secret }),
  });
  record(run, { key: entry.key, action: 'created', reference: referenceOf(created) });
  mapId(run, entry, created);
  // The admin endpoint only knows name/description/policy: the rest (tag, redirect URIs, jwksUri, ...) now.
  const full = (await run.admin.updateResource(
    merged(created, live(run, entry.resource), entry.serverOwned)
  )) as ClientApplication;
  mapId(run, entry, full);
  return created;
}

/** A practitioner with a User and membership: created through the invite endpoint, updated through FHIR. */
async function provisionPractitioner(run: Run, entry: ModelEntry): Promise<void> {
  let existing = await findOne<Practitioner>(run, entry.match ?? '');
  const membershipEntry = membershipEntryOf(run, entry);
  const userEntry = membershipEntry
    ? run.model.entries.find(
        (e) => e.resource.id === (membershipEntry.resource as ProjectMembership).user?.reference?.split('/')[1]
      )
    : undefined;
  if (!existing && !run.check && membershipEntry) {
    existing = await invitePractitioner(run, entry, membershipEntry, userEntry);
  } else {
    mapId(run, entry, await upsert(run, entry, existing));
  }
  if (existing) {
    const membership = await findOne<ProjectMembership>(run, `ProjectMembership?profile=Practitioner/${existing.id}`);
    mapId(run, userEntry, membership?.user);
    await membershipFor(run, entry, `profile=Practitioner/${existing.id}`);
  } else if (entry.membershipKey) {
    record(run, { key: entry.membershipKey, action: 'missing' });
  }
}

async function invitePractitioner(
  run: Run,
  entry: ModelEntry,
  membershipEntry: ModelEntry,
  userEntry: ModelEntry | undefined
): Promise<Practitioner> {
  const practitioner = entry.resource as Practitioner;
  const desiredMembership = live(run, membershipEntry.resource) as ProjectMembership;
  const email = practitioner.telecom?.find((t) => t.system === 'email')?.value;
  const membership = (await run.admin.post(`admin/projects/${run.projectId}/invite`, {
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
  const profile = (await run.admin.readReference(membership.profile)) as Practitioner;
  mapId(run, entry, profile);
  mapId(run, userEntry, membership.user);
  mapId(run, membershipEntry, membership);
  const updated = (await run.admin.updateResource(merged(profile, live(run, entry.resource)))) as Practitioner;
  record(run, { key: entry.key, action: 'created', reference: referenceOf(updated) });
  return updated;
}

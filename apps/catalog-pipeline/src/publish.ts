import type { MedplumClient } from '@medplum/core';
import type { ActivityDefinition, ObservationDefinition, Resource, ResourceType, ValueSet } from '@medplum/fhirtypes';
import {
  activityDefinitions,
  analyteQuery,
  type CatalogSource,
  observationDefinitions,
  orderableValueSet,
} from './catalog.ts';

/**
 * Publishes the catalogue idempotently: each resource is looked up by its key (canonical `url` + `version`, or the
 * analyte identifier), compared, and written only when it differs, with a conditional update on that same key (so two
 * runs at once cannot create it twice). Earlier versions of a published canonical resource are set to `retired`, so
 * readers that ask for `status=active` see one version. `dry-run` and `check` only read.
 */

export type PublishMode = 'apply' | 'dry-run' | 'check';
export type ChangeAction = 'created' | 'updated' | 'retired' | 'unchanged';

export interface CatalogChange {
  action: ChangeAction;
  /** e.g. `ActivityDefinition 58410-2 v2026.1`. */
  label: string;
  /** Top-level fields that differ, with the live and the wanted value (`updated` only). */
  fields?: { field: string; live: unknown; wanted: unknown }[];
}

export interface PublishReport {
  changes: CatalogChange[];
  /** Anything created, updated or retired (or, in dry-run/check, that would be). */
  drift: boolean;
}

type Keyed = Resource & { id?: string };

const IGNORED = new Set(['id', 'meta']);

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, v]) => !IGNORED.has(key) && v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, v]) => [key, canonical(v)])
    );
  }
  return value;
}

/** Top-level fields whose content differs (either side may lack the field). */
export function differingFields(live: Keyed, wanted: Keyed): NonNullable<CatalogChange['fields']> {
  const keys = new Set([...Object.keys(live), ...Object.keys(wanted)].filter((key) => !IGNORED.has(key)));
  const a = live as unknown as Record<string, unknown>;
  const b = wanted as unknown as Record<string, unknown>;
  return [...keys]
    .filter((key) => JSON.stringify(canonical(a[key])) !== JSON.stringify(canonical(b[key])))
    .sort()
    .map((field) => ({ field, live: a[field], wanted: b[field] }));
}

interface Run {
  medplum: MedplumClient;
  mode: PublishMode;
  log: (line: string) => void;
  changes: CatalogChange[];
  total: number;
}

async function publishOne<T extends Keyed>(run: Run, wanted: T, query: string, label: string): Promise<T> {
  const [type, search] = query.split('?') as [ResourceType, string];
  const found = (await run.medplum.searchResources(type, search)) as unknown as T[];
  if (found.length > 1) throw new Error(`${query} matches ${found.length} resources; resolve that by hand first`);
  const live = found[0];
  const fields = live ? differingFields(live, wanted) : [];
  const action: ChangeAction = !live ? 'created' : fields.length > 0 ? 'updated' : 'unchanged';
  run.changes.push({ action, label, ...(fields.length > 0 ? { fields } : {}) });
  const verb = run.mode === 'apply' || action === 'unchanged' ? action : `would be ${action}`;
  run.log(`[${run.changes.length}/${run.total}] ${verb} ${label}`);
  if (action === 'unchanged' || run.mode !== 'apply') return (live ?? wanted) as T;
  return (await run.medplum.upsertResource(wanted as never, search)) as unknown as T;
}

/** Older versions of `url` still `active`: retired, so one version of each test is current. */
async function retireOthers(run: Run, type: 'ActivityDefinition' | 'ValueSet', url: string, version: string) {
  const active = (await run.medplum.searchResources(type, { url, status: 'active' })) as (
    | ActivityDefinition
    | ValueSet
  )[];
  for (const old of active.filter((r) => r.version !== version)) {
    run.changes.push({ action: 'retired', label: `${type} ${url} v${old.version}` });
    run.log(`${run.mode === 'apply' ? 'retired' : 'would be retired'} ${type} ${url} v${old.version}`);
    if (run.mode === 'apply') await run.medplum.updateResource({ ...old, status: 'retired' });
  }
}

export async function publishCatalog(
  medplum: MedplumClient,
  source: CatalogSource,
  options: { mode?: PublishMode; log?: (line: string) => void } = {}
): Promise<PublishReport> {
  const run: Run = {
    medplum,
    mode: options.mode ?? 'apply',
    log: options.log ?? (() => {}),
    changes: [],
    total: source.analytes.length + source.tests.length + 1,
  };
  const analyteIds = new Map<string, string>();
  for (const definition of observationDefinitions(source)) {
    const code = definition.identifier?.[0]?.value ?? '';
    const query = analyteQuery(code);
    const live = await publishOne<ObservationDefinition>(run, definition, query, `ObservationDefinition ${code}`);
    if (live.id) analyteIds.set(code, live.id);
  }
  for (const definition of activityDefinitions(source, analyteIds)) {
    const { url = '', version = '' } = definition;
    const query = `ActivityDefinition?url=${encodeURIComponent(url)}&version=${encodeURIComponent(version)}`;
    const code = definition.code?.coding?.[0]?.code;
    await publishOne(run, definition, query, `ActivityDefinition ${code} v${version}`);
    await retireOthers(run, 'ActivityDefinition', url, version);
  }
  const valueSet = orderableValueSet(source);
  const vsQuery = `ValueSet?url=${encodeURIComponent(valueSet.url ?? '')}&version=${encodeURIComponent(source.version)}`;
  await publishOne(run, valueSet, vsQuery, `ValueSet orderable-lab-tests v${source.version}`);
  await retireOthers(run, 'ValueSet', valueSet.url ?? '', source.version);
  return { changes: run.changes, drift: run.changes.some((c) => c.action !== 'unchanged') };
}

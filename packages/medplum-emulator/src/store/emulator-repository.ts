import type { WithId } from '@medplum/core';
import { deepClone, generateId } from '@medplum/core';
import type { CreateResourceOptions, DeleteResourceOptions } from '@medplum/fhir-router';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Resource } from '@medplum/fhirtypes';

/** Everything the repository holds, as written to the data file. */
export interface RepositorySnapshot {
  /** Every version of every resource, oldest first, keyed by `Type/id`. Deleted resources keep their versions. */
  history: Record<string, Resource[]>;
  /** `Type/id` of every resource that currently exists (the rest of `history` has been deleted). */
  current: string[];
}

/**
 * A deletion as Medplum's history keeps it: a version with no content (packages/server/src/fhir/repo.ts,
 * `deleteResource` writes a new versionId and lastUpdated with empty content). Stored in the version list with this
 * marker, so history answers it as a `410` entry and the data file keeps it.
 */
export type Tombstone = Resource & { [TOMBSTONE]: true };
export const TOMBSTONE = '__deleted';

export function isTombstone(version: Resource): version is Tombstone {
  return (version as Partial<Tombstone>)[TOMBSTONE] === true;
}

interface MemoryRepositoryInternals {
  resources: Map<string, Map<string, Resource>>;
  history: Map<string, Map<string, Resource[]>>;
}

/**
 * The system-level repository: `MemoryRepository` plus what the emulator needs around it — a change hook (so every
 * write, whoever makes it, reaches the data file), tombstones (Medplum answers 410 after a delete), and snapshots.
 *
 * `MemoryRepository` keeps its maps private and offers no export; the emulator reads them through a checked cast so a
 * future @medplum/fhir-router that renames them fails loudly at start instead of silently losing data.
 */
export class EmulatorRepository extends MemoryRepository {
  onChange: () => void = () => {};
  readonly #internals: MemoryRepositoryInternals;

  constructor() {
    super();
    const internals = this as unknown as Partial<MemoryRepositoryInternals>;
    if (!(internals.resources instanceof Map) || !(internals.history instanceof Map)) {
      throw new Error('@medplum/fhir-router MemoryRepository changed shape: the emulator cannot read its data');
    }
    this.#internals = internals as MemoryRepositoryInternals;
  }

  override async createResource<T extends Resource>(
    resource: T,
    options?: CreateResourceOptions,
    update = false
  ): Promise<WithId<T>> {
    const result = await super.createResource(resource, options, update);
    this.onChange();
    return result;
  }

  override async deleteResource(resourceType: string, id: string, options?: DeleteResourceOptions): Promise<void> {
    const existing = this.#internals.resources.get(resourceType)?.get(id);
    await super.deleteResource(resourceType, id, options);
    const tombstone = {
      resourceType,
      id,
      meta: {
        versionId: generateId(),
        lastUpdated: new Date().toISOString(),
        ...(existing?.meta?.project ? { project: existing.meta.project } : {}),
        ...(existing?.meta?.compartment ? { compartment: existing.meta.compartment } : {}),
      },
      [TOMBSTONE]: true,
    } as Tombstone;
    this.#internals.history.get(resourceType)?.get(id)?.push(tombstone);
    this.onChange();
  }

  override async expungeResources(resourceType: string, ids: string[]): Promise<void> {
    await super.expungeResources(resourceType, ids);
    this.onChange();
  }

  /** Current resources of one type, for internal look-ups (Logins by code, Users by email, ...). */
  list<T extends Resource>(resourceType: T['resourceType']): WithId<T>[] {
    const resources = this.#internals.resources.get(resourceType);
    return resources ? ([...resources.values()].map((r) => deepClone(r)) as WithId<T>[]) : [];
  }

  /** True when the resource existed once and has been deleted (Medplum's 410 Gone). */
  isDeleted(resourceType: string, id: string): boolean {
    const existsNow = this.#internals.resources.get(resourceType)?.has(id) ?? false;
    const hasHistory = (this.#internals.history.get(resourceType)?.get(id)?.length ?? 0) > 0;
    return !existsNow && hasHistory;
  }

  /** True when the id was ever used, deleted or not. */
  wasEverWritten(resourceType: string, id: string): boolean {
    return (this.#internals.history.get(resourceType)?.get(id)?.length ?? 0) > 0;
  }

  /** Every version (deletions as tombstones), newest first, without MemoryRepository.readHistory's in-place reversal. */
  versionsOf(resourceType: string, id: string): Resource[] {
    const versions = this.#internals.history.get(resourceType)?.get(id) ?? [];
    return versions.map((v) => deepClone(v)).reverse();
  }

  snapshot(): RepositorySnapshot {
    const history: Record<string, Resource[]> = {};
    for (const [resourceType, byId] of this.#internals.history) {
      for (const [id, versions] of byId) history[`${resourceType}/${id}`] = versions;
    }
    const current: string[] = [];
    for (const [resourceType, byId] of this.#internals.resources) {
      for (const id of byId.keys()) current.push(`${resourceType}/${id}`);
    }
    return { history, current };
  }

  restore(snapshot: RepositorySnapshot): void {
    this.clear();
    const current = new Set(snapshot.current);
    for (const [key, versions] of Object.entries(snapshot.history)) {
      const [resourceType, id] = key.split('/') as [string, string];
      mapFor(this.#internals.history, resourceType).set(
        id,
        versions.map((v) => deepClone(v))
      );
      const latest = versions.at(-1);
      if (current.has(key) && latest) mapFor(this.#internals.resources, resourceType).set(id, deepClone(latest));
    }
  }
}

function mapFor<V>(maps: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let map = maps.get(key);
  if (!map) {
    map = new Map();
    maps.set(key, map);
  }
  return map;
}

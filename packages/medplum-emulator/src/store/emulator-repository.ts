import type { SearchRequest, WithId } from '@medplum/core';
import { deepClone, generateId } from '@medplum/core';
import type { CreateResourceOptions, DeleteResourceOptions } from '@medplum/fhir-router';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { mapFor } from './nested-map.ts';
import { SearchIndex } from './search-index.ts';

/** One change, as the data file's journal records it (store/journal.ts). */
export type JournalRecord =
  | { put: WithId<Resource> }
  | { delete: Tombstone }
  | { expunge: { resourceType: string; ids: string[] } };

/** Everything the repository holds, in the data file's old whole-file format (read once, to migrate). */
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
 * The system-level repository: `MemoryRepository` plus what the emulator needs around it — a write hook (so every
 * change, whoever makes it, reaches the data file's journal), tombstones (Medplum answers 410 after a delete), and an
 * index for identifier and reference searches (store/search-index.ts).
 *
 * `MemoryRepository` keeps its maps private and offers no export; the emulator reads them through a checked cast so a
 * future @medplum/fhir-router that renames them fails loudly at start instead of silently losing data.
 */
export class EmulatorRepository extends MemoryRepository {
  /** Called with every change once it is made (the data file records it). */
  onWrite: (record: JournalRecord) => void = () => {};
  readonly #internals: MemoryRepositoryInternals;
  readonly #index = new SearchIndex();
  /** type → id → position, mirroring the insertion order of MemoryRepository's map (the order of unsorted results). */
  readonly #positions = new Map<string, Map<string, number>>();
  #nextPosition = 0;
  /** Versions held, deletions included (kept as a count: the journal asks after every flush). */
  #versions = 0;

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
    this.#versions++;
    this.#current(result);
    this.onWrite({ put: result });
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
    this.#versions++;
    this.#gone(resourceType, id);
    this.onWrite({ delete: tombstone });
  }

  override async expungeResources(resourceType: string, ids: string[]): Promise<void> {
    this.#versions -= this.#versionsOfIds(resourceType, ids);
    await super.expungeResources(resourceType, ids);
    for (const id of ids) this.#gone(resourceType, id);
    this.onWrite({ expunge: { resourceType, ids } });
  }

  override clear(): void {
    super.clear();
    this.#versions = 0;
    this.#index.clear();
    this.#positions.clear();
  }

  /**
   * Identifier and reference searches look only at the resources the index names, with FhirRouter's own matching:
   * MemoryRepository.search filters its per-type map synchronously before its first await, so that map is swapped for
   * the candidates just for that call. Anything the index cannot narrow is a full scan, as before.
   */
  override search<T extends Resource>(searchRequest: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const ids = this.#index.candidates(searchRequest);
    const all = this.#internals.resources.get(searchRequest.resourceType);
    if (!ids || !all) return super.search(searchRequest);
    const positions = this.#positions.get(searchRequest.resourceType);
    const ordered = [...ids].sort((a, b) => (positions?.get(a) ?? 0) - (positions?.get(b) ?? 0));
    const candidates = new Map<string, Resource>();
    for (const id of ordered) {
      const resource = all.get(id);
      if (resource) candidates.set(id, resource);
    }
    this.#internals.resources.set(searchRequest.resourceType, candidates);
    try {
      return super.search(searchRequest);
    } finally {
      this.#internals.resources.set(searchRequest.resourceType, all);
    }
  }

  /** The number of versions held (deletions included): the journal is compacted when it has many more lines. */
  versionCount(): number {
    return this.#versions;
  }

  #versionsOfIds(resourceType: string, ids: readonly string[]): number {
    const byId = this.#internals.history.get(resourceType);
    return ids.reduce((count, id) => count + (byId?.get(id)?.length ?? 0), 0);
  }

  /** Applies changes read back from the journal, as they were made (no hook is called). */
  replay(records: readonly JournalRecord[]): void {
    for (const record of records) {
      if ('put' in record) {
        const { resourceType, id } = record.put;
        mapFor(this.#internals.resources, resourceType).set(id, record.put);
        pushVersion(this.#internals.history, record.put);
        this.#versions++;
        this.#current(record.put);
      } else if ('delete' in record) {
        const { resourceType, id } = record.delete;
        this.#internals.resources.get(resourceType)?.delete(id as string);
        pushVersion(this.#internals.history, record.delete as WithId<Resource>);
        this.#versions++;
        this.#gone(resourceType, id as string);
      } else {
        const { resourceType, ids } = record.expunge;
        this.#versions -= this.#versionsOfIds(resourceType, ids);
        for (const id of ids) {
          this.#internals.resources.get(resourceType)?.delete(id);
          this.#internals.history.get(resourceType)?.delete(id);
          this.#gone(resourceType, id);
        }
      }
    }
  }

  /** What a fresh journal needs to rebuild this repository: every version in order, with deletions in their place. */
  journalRecords(): JournalRecord[] {
    const records: JournalRecord[] = [];
    for (const byId of this.#internals.history.values()) {
      for (const versions of byId.values()) {
        for (const version of versions) {
          records.push(isTombstone(version) ? { delete: version } : { put: version as WithId<Resource> });
        }
      }
    }
    return records;
  }

  #current(resource: WithId<Resource>): void {
    const positions = mapFor(this.#positions, resource.resourceType);
    if (!positions.has(resource.id)) positions.set(resource.id, this.#nextPosition++);
    this.#index.put(resource);
  }

  #gone(resourceType: string, id: string): void {
    this.#positions.get(resourceType)?.delete(id);
    this.#index.remove(resourceType, id);
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

  /** Loads the data file's old whole-file format (migration to the journal). */
  restore(snapshot: RepositorySnapshot): void {
    this.clear();
    const current = new Set(snapshot.current);
    for (const [key, versions] of Object.entries(snapshot.history)) {
      const [resourceType, id] = key.split('/') as [string, string];
      this.#versions += versions.length;
      mapFor(this.#internals.history, resourceType).set(
        id,
        versions.map((v) => deepClone(v))
      );
      const latest = versions.at(-1);
      if (current.has(key) && latest) {
        mapFor(this.#internals.resources, resourceType).set(id, deepClone(latest));
        this.#current(latest as WithId<Resource>);
      }
    }
  }
}

function pushVersion(history: Map<string, Map<string, Resource[]>>, version: WithId<Resource>): void {
  const byId = mapFor(history, version.resourceType);
  let versions = byId.get(version.id);
  if (!versions) {
    versions = [];
    byId.set(version.id, versions);
  }
  versions.push(version);
}

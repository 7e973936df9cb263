import type { Operation, SearchRequest, WithId } from '@medplum/core';
import {
  AccessPolicyInteraction,
  accessPolicySupportsInteraction,
  applyPatch,
  badRequest,
  deepClone,
  forbidden,
  gone,
  isNotFound,
  normalizeOperationOutcome,
  notFound,
  OperationOutcomeError,
  Operator,
  protectedResourceTypes,
  satisfiedAccessPolicy,
} from '@medplum/core';
import type {
  CreateResourceOptions,
  DeleteResourceOptions,
  ReadHistoryOptions,
  UpdateResourceOptions,
} from '@medplum/fhir-router';
import { FhirRepository, getExtraEntries } from '@medplum/fhir-router';
import type {
  AccessPolicy,
  Bundle,
  BundleEntry,
  OperationOutcome,
  Parameters,
  Reference,
  Resource,
  ResourceType,
} from '@medplum/fhirtypes';
import type { EmulatorRepository } from '../store/emulator-repository.ts';
import type { WriteEvent } from '../subscriptions/index.ts';

type Interaction = (typeof AccessPolicyInteraction)[keyof typeof AccessPolicyInteraction];

/** Who is calling, as the FHIR layer needs it. */
export interface CallerScope {
  accessPolicy: AccessPolicy;
  /** The real caller's profile (`Practitioner/…`, `ClientApplication/…`), stamped as `meta.author`. */
  author: Reference;
  /** The profile acted for with `X-Medplum-On-Behalf-Of`, stamped as `meta.onBehalfOf`. */
  onBehalfOf?: Reference;
  projectId?: string;
  /** Full URL prefix of resources, e.g. `http://localhost:8103/fhir/R4/`, for `fullUrl` in bundles. */
  fhirBaseUrl: string;
}

/**
 * The repository one request sees: the caller's access policy on every interaction, Medplum's attribution on every write,
 * 410 Gone after a delete, and a `WriteEvent` after every successful write (batch and transaction entries included,
 * since FhirRouter runs them through this same repository). Everything else is delegated to the system repository.
 *
 * Status codes follow Medplum's repository (packages/server/src/fhir/repo.ts): a type the policy does not cover → 403;
 * a resource of a covered type that the criteria exclude reads as 404 (its existence stays hidden); a write the policy
 * does not allow, before or after the change → 403.
 */
export class ScopedRepository extends FhirRepository {
  readonly #system: EmulatorRepository;
  readonly #scope: CallerScope;
  readonly #onWrite: (event: WriteEvent) => void;

  constructor(system: EmulatorRepository, scope: CallerScope, onWrite: (event: WriteEvent) => void) {
    super();
    this.#system = system;
    this.#scope = scope;
    this.#onWrite = onWrite;
  }

  setMode(): void {}

  generateId(): string {
    return this.#system.generateId();
  }

  async createResource<T extends Resource>(resource: T, options?: CreateResourceOptions): Promise<WithId<T>> {
    this.#assertTypeAllowed(resource.resourceType, AccessPolicyInteraction.CREATE);
    const toStore = this.#attribute(resource);
    // Medplum assigns the id of a created resource; a client-sent one is kept only for batch urn:uuid entries.
    if (!options?.assignedId) delete toStore.id;
    this.#assertSatisfied(toStore, AccessPolicyInteraction.CREATE, forbidden);
    const created = await this.#system.createResource(toStore, options);
    this.#onWrite({ resource: deepClone(created), interaction: 'create' });
    return this.#present(created);
  }

  async updateResource<T extends Resource>(resource: T, options?: UpdateResourceOptions): Promise<WithId<T>> {
    if (!resource.id) throw new OperationOutcomeError(badRequest('Missing id'));
    this.#assertTypeAllowed(resource.resourceType, AccessPolicyInteraction.UPDATE);
    const previous = await this.#system.readResource<T>(resource.resourceType, resource.id).catch(() => undefined);
    if (previous) {
      this.#assertSatisfied(previous, AccessPolicyInteraction.UPDATE, forbidden);
    } else if (options?.ifMatch) {
      throw new OperationOutcomeError(notFound);
    }
    const toStore = this.#attribute(resource);
    this.#assertSatisfied(toStore, AccessPolicyInteraction.UPDATE, forbidden);
    const updated = await this.#system.updateResource(toStore, options);
    this.#onWrite({ resource: deepClone(updated), interaction: previous ? 'update' : 'create', previous });
    return this.#present(updated);
  }

  async patchResource<T extends Resource>(
    resourceType: T['resourceType'],
    id: string,
    patch: Operation[] | Parameters,
    options?: UpdateResourceOptions
  ): Promise<WithId<T>> {
    if (!Array.isArray(patch)) {
      throw new OperationOutcomeError(badRequest('The emulator supports JSON Patch only, not FHIRPath Patch'));
    }
    this.#assertTypeAllowed(resourceType, AccessPolicyInteraction.UPDATE);
    const current = await this.#readVisible<T>(resourceType, id, AccessPolicyInteraction.READ);
    const errors = applyPatch(current, patch).filter(Boolean);
    if (errors.length > 0) {
      throw new OperationOutcomeError(badRequest(errors.map((error) => (error as Error).message).join('\n')));
    }
    return this.updateResource(current, options);
  }

  async deleteResource(resourceType: string, id: string, options?: DeleteResourceOptions): Promise<void> {
    this.#assertTypeAllowed(resourceType, AccessPolicyInteraction.DELETE);
    const existing = await this.#readVisible(resourceType, id, AccessPolicyInteraction.READ);
    this.#assertSatisfied(existing, AccessPolicyInteraction.DELETE, forbidden);
    await this.#system.deleteResource(resourceType, id, options);
    this.#onWrite({ resource: existing, interaction: 'delete', previous: existing });
  }

  async readResource<T extends Resource>(resourceType: string, id: string): Promise<WithId<T>> {
    this.#assertTypeAllowed(resourceType, AccessPolicyInteraction.READ);
    return this.#present(await this.#readVisible<T>(resourceType, id, AccessPolicyInteraction.READ));
  }

  async readReference<T extends Resource>(reference: Reference<T>): Promise<WithId<T>> {
    const [resourceType, id, ...rest] = reference.reference?.split('/') ?? [];
    if (!resourceType || !id || rest.length > 0) throw new OperationOutcomeError(badRequest('Invalid reference'));
    return this.readResource<T>(resourceType, id);
  }

  async readReferences<T extends Resource>(references: readonly Reference<T>[]): Promise<(T | Error)[]> {
    return Promise.all(
      references.map((reference) =>
        this.readReference(reference).catch((error: unknown) =>
          error instanceof OperationOutcomeError ? error : new OperationOutcomeError(normalizeOperationOutcome(error))
        )
      )
    );
  }

  async readHistory<T extends Resource>(
    resourceType: string,
    id: string,
    options?: ReadHistoryOptions
  ): Promise<Bundle<WithId<T>>> {
    this.#assertTypeAllowed(resourceType, AccessPolicyInteraction.HISTORY);
    const versions = this.#system
      .versionsOf(resourceType, id)
      .filter((version) => satisfiedAccessPolicy(version, AccessPolicyInteraction.HISTORY, this.#scope.accessPolicy));
    if (versions.length === 0) throw new OperationOutcomeError(notFound);
    const offset = options?.offset ?? 0;
    const page = versions.slice(offset, offset + (options?.limit ?? 100));
    return {
      resourceType: 'Bundle',
      type: 'history',
      total: versions.length,
      entry: page.map((version) => ({
        fullUrl: this.#fullUrl(version),
        resource: this.#present(version) as WithId<T>,
      })),
    };
  }

  async readVersion<T extends Resource>(resourceType: string, id: string, versionId: string): Promise<WithId<T>> {
    this.#assertTypeAllowed(resourceType, AccessPolicyInteraction.VREAD);
    const version = this.#system.versionsOf(resourceType, id).find((v) => v.meta?.versionId === versionId);
    if (!version || !satisfiedAccessPolicy(version, AccessPolicyInteraction.VREAD, this.#scope.accessPolicy)) {
      throw new OperationOutcomeError(notFound);
    }
    return this.#present(version) as WithId<T>;
  }

  async search<T extends Resource>(searchRequest: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const resourceTypes = searchRequest.types?.length ? searchRequest.types : [searchRequest.resourceType];
    const matches: WithId<T>[] = [];
    for (const resourceType of resourceTypes) {
      this.#assertTypeAllowed(resourceType, AccessPolicyInteraction.SEARCH);
      // Ask for every match, then filter by policy before paging, so `total` and pages only count what the caller may see.
      const all = await this.#system.search<T>({
        ...searchRequest,
        resourceType: resourceType as T['resourceType'],
        types: undefined,
        offset: undefined,
        count: undefined,
        include: undefined,
        revInclude: undefined,
      });
      for (const entry of all.entry ?? []) {
        const resource = entry.resource as WithId<T>;
        if (satisfiedAccessPolicy(resource, AccessPolicyInteraction.SEARCH, this.#scope.accessPolicy)) {
          matches.push(resource);
        }
      }
    }
    const offset = searchRequest.offset ?? 0;
    const page = matches.slice(offset, searchRequest.count === undefined ? undefined : offset + searchRequest.count);
    const entry: BundleEntry[] = page.map((resource) => ({
      fullUrl: this.#fullUrl(resource),
      search: { mode: 'match' },
      resource: this.#present(resource),
    }));
    if ((searchRequest.include || searchRequest.revInclude) && page.length > 0) {
      await getExtraEntries(this, searchRequest, page, entry);
    }
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: matches.length,
      entry: entry as BundleEntry<WithId<T>>[],
    };
  }

  async searchByReference<T extends Resource>(
    searchRequest: SearchRequest<T>,
    referenceField: string,
    references: string[]
  ): Promise<Record<string, WithId<T>[]>> {
    const results: Record<string, WithId<T>[]> = {};
    for (const reference of references) {
      const filters = [
        ...(searchRequest.filters ?? []),
        { code: referenceField, operator: Operator.EQUALS, value: reference },
      ];
      const bundle = await this.search({ ...searchRequest, filters });
      results[reference] = (bundle.entry ?? []).map((entry) => entry.resource as WithId<T>);
    }
    return results;
  }

  /** MemoryRepository has no transactions either: entries apply one by one. */
  async withTransaction<TResult>(callback: (txRepo: this) => Promise<TResult>): Promise<TResult> {
    return callback(this);
  }

  #assertTypeAllowed(resourceType: string, interaction: Interaction): void {
    if (protectedResourceTypes.includes(resourceType)) throw new OperationOutcomeError(forbidden);
    if (!accessPolicySupportsInteraction(this.#scope.accessPolicy, interaction, resourceType as ResourceType)) {
      throw new OperationOutcomeError(forbidden);
    }
  }

  #assertSatisfied(resource: Resource, interaction: Interaction, failure: OperationOutcome): void {
    if (!satisfiedAccessPolicy(resource, interaction, this.#scope.accessPolicy)) {
      throw new OperationOutcomeError(failure);
    }
  }

  /** Reads through the system repository: 410 after a delete, 404 when missing or outside the policy's criteria. */
  async #readVisible<T extends Resource>(
    resourceType: string,
    id: string,
    interaction: Interaction
  ): Promise<WithId<T>> {
    let resource: WithId<T>;
    try {
      resource = await this.#system.readResource<WithId<T>>(resourceType, id);
    } catch (error) {
      if (
        error instanceof OperationOutcomeError &&
        isNotFound(error.outcome) &&
        this.#system.isDeleted(resourceType, id)
      ) {
        throw new OperationOutcomeError(gone);
      }
      throw error;
    }
    this.#assertSatisfied(resource, interaction, notFound);
    return resource;
  }

  /** Medplum's stamping: the server decides author, onBehalfOf and project; whatever the client sent there is ignored. */
  #attribute<T extends Resource>(resource: T): T {
    const copy = deepClone(resource);
    const {
      author: _author,
      onBehalfOf: _onBehalfOf,
      project: _project,
      compartment: _compartment,
      ...meta
    } = copy.meta ?? {};
    copy.meta = {
      ...meta,
      author: this.#scope.author,
      ...(this.#scope.onBehalfOf ? { onBehalfOf: this.#scope.onBehalfOf } : {}),
      ...(this.#scope.projectId ? { project: this.#scope.projectId } : {}),
    };
    return copy;
  }

  /** Applies the matching policy entry's `hiddenFields` (top-level and dotted paths) to what the caller gets back. */
  #present<T extends Resource>(resource: T): T {
    const copy = deepClone(resource);
    const entry = satisfiedAccessPolicy(copy, AccessPolicyInteraction.READ, this.#scope.accessPolicy);
    const hidden = [
      ...(entry?.hiddenFields ?? []),
      ...(copy.resourceType === 'User' ? ['passwordHash', 'mfaSecret'] : []),
    ];
    for (const path of hidden) removePath(copy as unknown as Record<string, unknown>, path.split('.'));
    return copy;
  }

  #fullUrl(resource: Resource): string {
    return `${this.#scope.fhirBaseUrl}${resource.resourceType}/${resource.id}`;
  }
}

function removePath(target: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path;
  if (!head || !(head in target)) return;
  if (rest.length === 0) {
    delete target[head];
    return;
  }
  const child = target[head];
  for (const item of Array.isArray(child) ? child : [child]) {
    if (item && typeof item === 'object') removePath(item as Record<string, unknown>, rest);
  }
}

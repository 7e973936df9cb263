import type { Operation, SearchRequest, WithId } from '@medplum/core';
import {
  AccessPolicyInteraction,
  accessPolicySupportsInteraction,
  allOk,
  applyPatch,
  arrayify,
  badRequest,
  createReference,
  deepClone,
  deepEquals,
  evalFhirPathTyped,
  fhirpathPatchTypedValue,
  forbidden,
  getSearchParameter,
  getStatus,
  gone,
  isObject,
  isUUID,
  matchesSearchRequest,
  normalizeOperationOutcome,
  notFound,
  OperationOutcomeError,
  Operator,
  parseFhirPathPatchParameters,
  parseSearchRequest,
  preconditionFailed,
  protectedResourceTypes,
  readInteractions,
  resolveId,
  satisfiedAccessPolicy,
  stringify,
  toTypedValue,
  validateResource,
  validateResourceType,
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
  AccessPolicyResource,
  Bundle,
  BundleEntry,
  Meta,
  OperationOutcome,
  Parameters,
  Reference,
  Resource,
} from '@medplum/fhirtypes';
import type { EmulatorRepository } from '../store/emulator-repository.ts';
import { isTombstone } from '../store/emulator-repository.ts';
import type { WriteEvent } from '../subscriptions/index.ts';
import { getCompartments, getPatients } from './compartments.ts';

type Interaction = (typeof AccessPolicyInteraction)[keyof typeof AccessPolicyInteraction];

/** Who is calling, as the FHIR layer needs it (Medplum's `RepositoryContext`). */
export interface CallerScope {
  /** Undefined only for the system repository: no policy at all. */
  accessPolicy?: AccessPolicy;
  /** The real caller's profile (`Practitioner/…`, `ClientApplication/…`), stamped as `meta.author`. */
  author: Reference;
  /** The profile acted for with `X-Medplum-On-Behalf-Of`, stamped as `meta.onBehalfOf`. */
  onBehalfOf?: Reference;
  /** The caller's project: stamped as `meta.project`, and the only project whose resources it sees. */
  projectId?: string;
  /** The acting membership is a project admin (may set `meta.account(s)` in extended mode). */
  projectAdmin?: boolean;
  /** Medplum's system repository: no project boundary, ids and protected meta may be set, protected types allowed. */
  superAdmin?: boolean;
  /** The request said `X-Medplum: extended`. */
  extendedMode?: boolean;
  /** Full URL prefix of resources, e.g. `http://localhost:8103/fhir/R4/`, for `fullUrl` in bundles. */
  fhirBaseUrl: string;
}

/**
 * The repository one request sees, following Medplum's `Repository` (packages/server/src/fhir/repo.ts):
 *
 * - a type the policy does not support for the interaction → 403; a non-UUID id → 404; an unknown type → 400;
 * - a resource outside the caller's project or the policy's criteria/compartments reads as 404 (its existence stays
 *   hidden), a deleted one as 410;
 * - writes: no client-chosen ids (PUT to an id that never existed → 404), the policy checked before and after the
 *   change (403), `readonlyFields`/`hiddenFields` restored, `meta.author`/`onBehalfOf`/`project`/`account(s)`/
 *   `compartment` set by the server, an unchanged resource keeps its version, `writeConstraint` FHIRPath enforced;
 * - `hiddenFields` removed from everything read; history includes deletions (`410` entries);
 * - a `WriteEvent` after every successful write (batch and transaction entries included, since FhirRouter runs them
 *   through this same repository).
 */
export class ScopedRepository extends FhirRepository {
  readonly #system: EmulatorRepository;
  readonly #scope: CallerScope;
  readonly #onWrite: (event: WriteEvent) => void;
  /** Whether any entry of the policy hides or protects fields; when none does, there is nothing to remove or restore. */
  readonly #policyHasFieldRules: boolean;

  constructor(system: EmulatorRepository, scope: CallerScope, onWrite: (event: WriteEvent) => void) {
    super();
    this.#system = system;
    this.#scope = scope;
    this.#onWrite = onWrite;
    this.#policyHasFieldRules = Boolean(
      scope.accessPolicy?.resource?.some((entry) => entry.hiddenFields?.length || entry.readonlyFields?.length)
    );
  }

  setMode(): void {}

  generateId(): string {
    return this.#system.generateId();
  }

  async createResource<T extends Resource>(resource: T, options?: CreateResourceOptions): Promise<WithId<T>> {
    // Medplum assigns the id of a created resource; a client-sent one is kept only for batch urn:uuid entries.
    const withId = { ...resource, id: options?.assignedId && resource.id ? resource.id : this.generateId() };
    return this.#write(withId, true);
  }

  async updateResource<T extends Resource>(resource: T, options?: UpdateResourceOptions): Promise<WithId<T>> {
    return this.#write(resource, false, options);
  }

  async patchResource<T extends Resource>(
    resourceType: T['resourceType'],
    id: string,
    patch: Operation[] | Parameters,
    options?: UpdateResourceOptions
  ): Promise<WithId<T>> {
    const resource = await this.#readImpl<T>(resourceType, id, AccessPolicyInteraction.READ);
    try {
      if (Array.isArray(patch)) {
        const errors = applyPatch(resource, patch).filter(Boolean);
        if (errors.length > 0) throw new Error(errors.map((error) => (error as Error).message).join('\n'));
      } else {
        fhirpathPatchTypedValue(toTypedValue(resource), parseFhirPathPatchParameters(patch));
      }
    } catch (error) {
      throw new OperationOutcomeError(normalizeOperationOutcome(error));
    }
    return this.#write(resource, false, options);
  }

  async deleteResource(resourceType: string, id: string, options?: DeleteResourceOptions): Promise<void> {
    let existing: WithId<Resource>;
    try {
      existing = await this.#readImpl(resourceType, id, AccessPolicyInteraction.READ);
    } catch (error) {
      // Deleting what is already deleted succeeds (repo.test.ts "Double DELETE").
      if (error instanceof OperationOutcomeError && error.outcome.id === gone.id) return;
      throw error;
    }
    if (!this.#canPerform(AccessPolicyInteraction.DELETE, existing)) throw new OperationOutcomeError(forbidden);
    await this.#system.deleteResource(resourceType, id, options);
    this.#onWrite({ resource: existing, interaction: 'delete', previous: existing });
  }

  async readResource<T extends Resource>(resourceType: string, id: string): Promise<WithId<T>> {
    return this.#removeHiddenFields(await this.#readImpl<T>(resourceType, id, AccessPolicyInteraction.READ));
  }

  async readReference<T extends Resource>(reference: Reference<T>): Promise<WithId<T>> {
    const [resourceType, id, ...rest] = reference.reference?.split('/') ?? [];
    if (!resourceType || !id || rest.length > 0) throw new OperationOutcomeError(badRequest('Invalid reference'));
    return this.readResource<T>(resourceType, id);
  }

  async readReferences<T extends Resource>(references: readonly Reference<T>[]): Promise<(T | Error)[]> {
    return Promise.all(
      references.map((reference) => {
        if (!reference.reference?.match(/^[A-Z][a-zA-Z]+\//)) return new OperationOutcomeError(notFound);
        return this.readReference(reference).catch((error: unknown) =>
          error instanceof OperationOutcomeError ? error : new OperationOutcomeError(normalizeOperationOutcome(error))
        );
      })
    );
  }

  /** Every version newest first, deletions as `410` entries without a resource (Medplum's `readHistory`). */
  async readHistory<T extends Resource>(
    resourceType: string,
    id: string,
    options?: ReadHistoryOptions
  ): Promise<Bundle<WithId<T>>> {
    await this.#readTolerateGone(resourceType, id, AccessPolicyInteraction.HISTORY);
    const offset = options?.offset ?? 0;
    const versions = this.#system.versionsOf(resourceType, id).slice(offset, offset + (options?.limit ?? 100));
    const entry: BundleEntry<WithId<T>>[] = versions.map((version) => {
      const deleted = isTombstone(version);
      const outcome: OperationOutcome = deleted
        ? {
            resourceType: 'OperationOutcome',
            id: 'gone',
            issue: [
              {
                severity: 'error',
                code: 'deleted',
                details: { text: `Deleted on ${new Date(version.meta?.lastUpdated as string).toString()}` },
              },
            ],
          }
        : allOk;
      return {
        fullUrl: this.#fullUrl(version),
        request: { method: 'GET', url: `${resourceType}/${id}/_history/${version.meta?.versionId}` },
        response: { status: getStatus(outcome).toString(), outcome },
        ...(deleted ? {} : { resource: this.#removeHiddenFields(version) as WithId<T> }),
      };
    });
    return { resourceType: 'Bundle', type: 'history', entry };
  }

  async readVersion<T extends Resource>(resourceType: string, id: string, versionId: string): Promise<WithId<T>> {
    if (!isUUID(id) || !isUUID(versionId)) throw new OperationOutcomeError(notFound);
    await this.#readTolerateGone(resourceType, id, AccessPolicyInteraction.VREAD);
    const version = this.#system.versionsOf(resourceType, id).find((v) => v.meta?.versionId === versionId);
    if (!version || isTombstone(version)) throw new OperationOutcomeError(notFound);
    return this.#removeHiddenFields(version) as WithId<T>;
  }

  async search<T extends Resource>(searchRequest: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const resourceTypes = searchRequest.types?.length ? searchRequest.types : [searchRequest.resourceType];
    const matches: WithId<T>[] = [];
    for (const resourceType of resourceTypes) {
      validateResourceType(resourceType);
      if (!this.#supports(AccessPolicyInteraction.SEARCH, resourceType)) throw new OperationOutcomeError(forbidden);
      assertKnownSearchParameters(resourceType, searchRequest);
      // Ask for every match, then filter like Medplum's SQL security filters before paging, so `total` and pages only
      // count what the caller may see.
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
        if (this.#visible(resource, AccessPolicyInteraction.SEARCH)) matches.push(resource);
      }
    }
    const offset = searchRequest.offset ?? 0;
    const page = matches.slice(offset, searchRequest.count === undefined ? undefined : offset + searchRequest.count);
    const entry: BundleEntry[] = page.map((resource) => ({
      fullUrl: this.#fullUrl(resource),
      search: { mode: 'match' },
      resource: this.#removeHiddenFields(resource),
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

  /** Medplum's `updateResourceImpl`, for create (`create`) and update. */
  async #write<T extends Resource>(resource: T, create: boolean, options?: UpdateResourceOptions): Promise<WithId<T>> {
    const interaction = create ? AccessPolicyInteraction.CREATE : AccessPolicyInteraction.UPDATE;
    const { resourceType, id } = resource;
    if (!id) throw new OperationOutcomeError(badRequest('Missing id'));
    if (!isUUID(id)) throw new OperationOutcomeError(badRequest('Invalid id'));
    validateResourceType(resourceType);
    if (!this.#supports(interaction, resourceType)) throw new OperationOutcomeError(forbidden);

    const existing = create ? undefined : await this.#checkExisting<T>(resourceType, id);
    if (existing) {
      (existing.meta as Meta).compartment = getCompartments(existing);
      // Checked before the change.
      if (!this.#canPerform(interaction, existing)) throw new OperationOutcomeError(forbidden);
      if (options?.ifMatch && existing.meta?.versionId !== options.ifMatch) {
        throw new OperationOutcomeError(preconditionFailed);
      }
    }

    const updated = await this.#replaceConditionalReferences(
      this.#restoreReadonlyFields(deepClone(resource), existing)
    );
    // Medplum validates every write against the resource's profile, constraints included (packages/server/src/fhir/
    // repo.ts `validateResource`; token.int.test.ts "accessTokenLifetime -- Invalid duration"): 400 with each issue.
    validateResource(updated);
    const meta: Meta = {
      ...updated.meta,
      author: this.#author(updated),
      onBehalfOf: this.#scope.onBehalfOf,
    };
    const result = { ...updated, meta } as WithId<T>;
    const projectId = this.#projectId(existing, updated);
    if (projectId) meta.project = projectId;
    const accounts = await this.#accounts(existing, updated);
    if (accounts) {
      meta.account = accounts[0];
      meta.accounts = accounts;
    }
    meta.compartment = getCompartments(result);

    if (existing && deepEquals(JSON.parse(stringify(existing)), JSON.parse(stringify(result)))) {
      // Not modified: no new version (routes.int.test.ts "Update resource not modified").
      return this.#removeHiddenFields(existing);
    }
    // Checked after the change.
    if (!this.#isWriteable(existing, result, interaction)) throw new OperationOutcomeError(forbidden);

    const written = create
      ? await this.#system.createResource(result, { assignedId: true })
      : await this.#system.updateResource(result);
    this.#onWrite({ resource: deepClone(written), interaction: create ? 'create' : 'update', previous: existing });
    return this.#removeHiddenFields(written);
  }

  /**
   * Medplum's `replaceConditionalReferences` (packages/server/src/fhir/references.ts): every reference that is a search
   * (`Practitioner?identifier=…`) becomes a reference to the one resource it finds for the caller, else 400.
   */
  async #replaceConditionalReferences<T extends Resource>(resource: T): Promise<T> {
    const visit = async (value: unknown, path: string): Promise<void> => {
      if (Array.isArray(value)) {
        for (const [index, item] of value.entries()) await visit(item, `${path}[${index}]`);
        return;
      }
      if (!isObject(value)) return;
      const record = value as Record<string, unknown>;
      const reference = record.reference;
      if (typeof reference === 'string' && reference.includes('?')) {
        const search = parseSearchRequest(reference);
        search.sortRules = undefined;
        search.count = 2;
        const matches = await this.searchResources(search);
        if (matches.length !== 1) {
          const found = matches.length ? 'matched multiple' : 'did not match any';
          throw new OperationOutcomeError(badRequest(`Conditional reference '${reference}' ${found} resources`, path));
        }
        const [match] = matches as [WithId<Resource>];
        for (const key of Object.keys(record)) delete record[key];
        Object.assign(record, createReference(match));
        return;
      }
      for (const [key, child] of Object.entries(record)) {
        if (key !== 'resourceType') await visit(child, `${path}.${key}`);
      }
    };
    for (const [key, child] of Object.entries(resource)) await visit(child, `${resource.resourceType}.${key}`);
    return resource;
  }

  /** Medplum's `checkExistingResource`: a deleted resource may be written again; an id never used only by the system. */
  async #checkExisting<T extends Resource>(resourceType: string, id: string): Promise<WithId<T> | undefined> {
    try {
      return await this.#readImpl<T>(resourceType, id, AccessPolicyInteraction.READ);
    } catch (error) {
      const outcome = normalizeOperationOutcome(error);
      if (outcome.id === gone.id) return undefined;
      // Only the system (a super admin in Medplum) may choose ids (repo.ts `canSetId`).
      if (outcome.id === notFound.id && this.#scope.superAdmin) return undefined;
      throw error;
    }
  }

  /** Medplum's `readResourceImpl`: the stored resource (not yet stripped of hidden fields) or 404/410/403/400. */
  async #readImpl<T extends Resource>(resourceType: string, id: string, interaction: Interaction): Promise<WithId<T>> {
    if (!id || !isUUID(id)) throw new OperationOutcomeError(notFound);
    validateResourceType(resourceType);
    if (!this.#supports(AccessPolicyInteraction.READ, resourceType)) throw new OperationOutcomeError(forbidden);
    let resource: WithId<T>;
    try {
      resource = await this.#system.readResource<WithId<T>>(resourceType, id);
    } catch (error) {
      if (this.#system.isDeleted(resourceType, id)) {
        // A deleted row keeps its project and compartments, but no searchable content.
        const [last] = this.#system.versionsOf(resourceType, id);
        const tombstone = {
          resourceType,
          id,
          meta: { project: last?.meta?.project, compartment: last?.meta?.compartment },
        };
        throw new OperationOutcomeError(this.#visible(tombstone as Resource, interaction) ? gone : notFound);
      }
      throw error;
    }
    if (!this.#visible(resource, interaction)) throw new OperationOutcomeError(notFound);
    return resource;
  }

  /** History and vread: the current resource must be readable and allow the interaction, or be deleted. */
  async #readTolerateGone(resourceType: string, id: string, interaction: Interaction): Promise<void> {
    let current: Resource;
    try {
      current = await this.#readImpl(resourceType, id, AccessPolicyInteraction.READ);
    } catch (error) {
      if (error instanceof OperationOutcomeError && error.outcome.id === gone.id) return;
      throw error;
    }
    if (!this.#canPerform(interaction, current)) throw new OperationOutcomeError(forbidden);
  }

  /** Medplum's `supportsInteraction`: the policy allows the interaction on the type at all. */
  #supports(interaction: Interaction, resourceType: string): boolean {
    if (!this.#scope.superAdmin && protectedResourceTypes.includes(resourceType)) return false;
    if (!this.#scope.accessPolicy) return true;
    return accessPolicySupportsInteraction(
      this.#scope.accessPolicy,
      interaction,
      resourceType as Resource['resourceType']
    );
  }

  /** Medplum's `canPerformInteraction`: the caller's project, then the first policy entry satisfied by the resource. */
  #canPerform(interaction: Interaction, resource: Resource): AccessPolicyResource | undefined {
    if (!this.#scope.superAdmin) {
      if (protectedResourceTypes.includes(resource.resourceType)) return undefined;
      if (resource.meta?.project !== this.#scope.projectId) return undefined;
    }
    return satisfiedAccessPolicy(resource, interaction, this.#scope.accessPolicy);
  }

  /**
   * Whether the resource exists for the caller at all, as Medplum's SQL security filters decide (repo.ts
   * `addSecurityFilters`): the caller's project, and any policy entry for the type (or `*`) that supports the interaction —
   * by its `compartment`, its `criteria` (`*?` rewritten to the type), or unconditionally when it has neither.
   */
  #visible(resource: Resource, interaction: Interaction): boolean {
    if (!this.#scope.superAdmin && resource.meta?.project !== this.#scope.projectId) return false;
    const policy = this.#scope.accessPolicy;
    if (!policy?.resource || resource.resourceType === 'Binary') return true;
    const conditions: boolean[] = [];
    for (const entry of policy.resource) {
      if (entry.resourceType !== resource.resourceType && entry.resourceType !== '*') continue;
      if (!supportsInteraction(entry, interaction)) continue;
      const compartmentId = resolveId(entry.compartment);
      if (compartmentId) {
        conditions.push(Boolean(resource.meta?.compartment?.some((c) => resolveId(c) === compartmentId)));
      } else if (entry.criteria) {
        // Medplum ignores a malformed criteria altogether (no restriction from the policy).
        if (!entry.criteria.startsWith(`${entry.resourceType}?`)) return true;
        const criteria =
          entry.resourceType === '*' ? `${resource.resourceType}${entry.criteria.slice(1)}` : entry.criteria;
        conditions.push(matchesSearchRequest(resource, parseSearchRequest(criteria)));
      } else {
        return true;
      }
    }
    return conditions.length === 0 || conditions.some(Boolean);
  }

  /** Medplum's `isResourceWriteable`: a satisfied entry, and every `writeConstraint` true with `%before`/`%after`. */
  #isWriteable(previous: Resource | undefined, current: Resource, interaction: Interaction): boolean {
    const entry = this.#canPerform(interaction, current);
    if (!entry) return false;
    return (entry.writeConstraint ?? []).every((constraint) => {
      const result = evalFhirPathTyped(constraint.expression as string, [toTypedValue(current)], {
        '%before': { type: previous?.resourceType ?? 'undefined', value: previous },
        '%after': { type: current.resourceType, value: current },
      });
      return result.length === 1 && result[0]?.value === true;
    });
  }

  /** Medplum's `removeHiddenFields` (the extended-only meta fields are dropped when the response is sent). */
  #removeHiddenFields<T extends Resource>(resource: T): T {
    // Every resource reaching here is already the caller's own copy (the system repository hands out clones).
    if (!this.#policyHasFieldRules) return resource;
    const copy = deepClone(resource);
    const entry = satisfiedAccessPolicy(copy, AccessPolicyInteraction.READ, this.#scope.accessPolicy);
    for (const field of entry?.hiddenFields ?? []) removeField(copy, field);
    return copy;
  }

  /**
   * Medplum's `restoreReadonlyFields`: readonly and hidden fields are taken from the previous version (top-level ones),
   * or dropped on create; whatever the client sent there is ignored.
   */
  #restoreReadonlyFields<T extends Resource>(input: T, original: T | undefined): T {
    if (!this.#policyHasFieldRules) return input;
    const entry = satisfiedAccessPolicy(
      original ?? input,
      original ? AccessPolicyInteraction.UPDATE : AccessPolicyInteraction.CREATE,
      this.#scope.accessPolicy
    );
    for (const field of [...(entry?.readonlyFields ?? []), ...(entry?.hiddenFields ?? [])]) {
      removeField(input, field);
      if (original && !field.includes('.') && !field.endsWith('[x]')) {
        const value = (original as unknown as Record<string, unknown>)[field];
        if (value) (input as unknown as Record<string, unknown>)[field] = value;
      }
    }
    return input;
  }

  /** Only the system may set `meta.author` (Medplum: super admins, `canWriteProtectedMeta`). */
  #author(resource: Resource): Reference {
    const author = resource.meta?.author;
    return author && this.#scope.superAdmin ? author : this.#scope.author;
  }

  /** Medplum's `getProjectId`. */
  #projectId(existing: Resource | undefined, updated: Resource): string | undefined {
    if (updated.resourceType === 'Project') return updated.id;
    if (updated.resourceType === 'ProjectMembership') return resolveId(updated.project);
    if (updated.resourceType === 'User' && this.#scope.superAdmin) return updated.meta?.project;
    if (protectedResourceTypes.includes(updated.resourceType)) return undefined;
    if (updated.meta?.project && this.#scope.superAdmin) return updated.meta.project;
    return existing?.meta?.project ?? this.#scope.projectId;
  }

  /**
   * Medplum's `getAccounts`: a project admin in extended mode sets them; otherwise a new resource joins the writer's
   * policy compartment, a Patient keeps its accounts, and anything else inherits the accounts of its Patients.
   */
  async #accounts(existing: Resource | undefined, updated: Resource): Promise<Reference[] | undefined> {
    const canWriteAccount = this.#scope.extendedMode && (this.#scope.superAdmin || this.#scope.projectAdmin);
    if (updated.meta && canWriteAccount) return accountReferences(updated.meta);

    const accounts = new Set<string>();
    const compartment = this.#scope.accessPolicy?.compartment?.reference;
    if (!existing && compartment) accounts.add(compartment);
    if (updated.resourceType === 'Patient') {
      for (const account of accountReferences(existing?.meta) ?? []) accounts.add(account.reference as string);
    } else {
      for (const patient of getPatients(updated)) {
        const stored = await this.#system.readReference(patient).catch(() => undefined);
        for (const account of accountReferences(stored?.meta) ?? []) {
          if (account.reference) accounts.add(account.reference);
        }
      }
    }
    return accounts.size ? [...accounts].map((reference) => ({ reference })) : undefined;
  }

  #fullUrl(resource: Resource): string {
    return `${this.#scope.fhirBaseUrl}${resource.resourceType}/${resource.id}`;
  }
}

/**
 * Medplum answers a filter on a search parameter the type does not have with 400 `Unknown search parameter: <code>`
 * (packages/server/src/fhir/search.ts; routes.int.test.ts "Search invalid search parameter"). Chains (`a.b`),
 * `_has:` and `_deleted`/`_filter` are resolved elsewhere and not checked here.
 */
function assertKnownSearchParameters(resourceType: string, searchRequest: SearchRequest): void {
  for (const filter of searchRequest.filters ?? []) {
    const code = filter.code;
    if (code.includes('.') || code.startsWith('_has:') || code === '_deleted' || code === '_filter') continue;
    if (!getSearchParameter(resourceType, code.split(':')[0] as string)) {
      throw new OperationOutcomeError(badRequest(`Unknown search parameter: ${code}`));
    }
  }
}

/** `readonly` without `interaction` means the read interactions; with `interaction`, exactly those (core's rule). */
function supportsInteraction(entry: AccessPolicyResource, interaction: Interaction): boolean {
  if (!entry.interaction) return !entry.readonly || readInteractions.includes(interaction);
  return (entry.interaction as string[]).includes(interaction);
}

function accountReferences(meta: Meta | undefined): Reference[] | undefined {
  if (!meta) return undefined;
  if (meta.accounts && meta.account) {
    const account = meta.account;
    return meta.accounts.some((a) => a.reference === account.reference) ? meta.accounts : [account, ...meta.accounts];
  }
  return arrayify(meta.accounts ?? meta.account);
}

/** Medplum's `removeField`: a dotted path through objects and arrays; `name[x]` matches every `nameXxx` choice. */
function removeField(input: Resource, path: string): void {
  let last: unknown[] = [input];
  const parts = path.split('.');
  parts.forEach((part, index) => {
    if (index === parts.length - 1) {
      for (const item of last) {
        for (const key of fieldNames(item, part)) delete (item as Record<string, unknown>)[key];
      }
      return;
    }
    const next: unknown[] = [];
    for (const item of last) {
      for (const key of fieldNames(item, part)) {
        const value = (item as Record<string, unknown>)[key];
        if (Array.isArray(value)) next.push(...value);
        else if (isObject(value)) next.push(value);
      }
    }
    last = next;
  });
}

function fieldNames(item: unknown, name: string): string[] {
  if (!isObject(item)) return [];
  if (!name.endsWith('[x]')) return name in item ? [name] : [];
  const prefix = name.slice(0, -3);
  return Object.keys(item).filter((key) => key.startsWith(prefix) && /^[A-Z]/.test(key.slice(prefix.length)));
}

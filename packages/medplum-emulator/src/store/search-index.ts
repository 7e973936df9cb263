import { getSearchParameter, Operator, type SearchRequest } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { mapFor } from './nested-map.ts';

/**
 * Which resources of a type could match an identifier or reference search, so a search looks at those instead of
 * every resource of the type (Medplum's server has Postgres indexes for the same look-ups: the `Token` table for
 * identifiers, reference columns, packages/server/src/fhir/lookups).
 *
 * The index only narrows: every candidate still goes through FhirRouter's own matching (`matchesSearchRequest`), so
 * the answer is the same as a full scan; keys are a superset (every `reference` anywhere in the resource, identifiers
 * with and without their system). A search the index cannot narrow (no such filter, a modifier, a chain, an escaped
 * comma) falls back to the full scan.
 */
export class SearchIndex {
  /** type → key → ids */
  readonly #postings = new Map<string, Map<string, Set<string>>>();
  /** type → id → the keys it is filed under */
  readonly #keysOf = new Map<string, Map<string, string[]>>();

  put(resource: Resource & { id: string }): void {
    const keys = indexKeys(resource);
    const filed = mapFor(this.#keysOf, resource.resourceType);
    const previous = filed.get(resource.id);
    if (previous && sameKeys(previous, keys)) return;
    this.remove(resource.resourceType, resource.id);
    const postings = mapFor(this.#postings, resource.resourceType);
    for (const key of keys) {
      let ids = postings.get(key);
      if (!ids) {
        ids = new Set();
        postings.set(key, ids);
      }
      ids.add(resource.id);
    }
    filed.set(resource.id, keys);
  }

  remove(resourceType: string, id: string): void {
    const filed = this.#keysOf.get(resourceType);
    const keys = filed?.get(id);
    if (!keys) return;
    const postings = this.#postings.get(resourceType);
    for (const key of keys) {
      const ids = postings?.get(key);
      ids?.delete(id);
      if (ids?.size === 0) postings?.delete(key);
    }
    filed?.delete(id);
  }

  clear(): void {
    this.#postings.clear();
    this.#keysOf.clear();
  }

  /** The ids that could match, or undefined when this search cannot be narrowed (scan everything). */
  candidates(searchRequest: SearchRequest): Set<string> | undefined {
    for (const filter of searchRequest.filters ?? []) {
      const keys = filterKeys(searchRequest.resourceType, filter);
      if (!keys) continue;
      const postings = this.#postings.get(searchRequest.resourceType);
      const ids = new Set<string>();
      for (const key of keys) for (const id of postings?.get(key) ?? []) ids.add(id);
      return ids;
    }
    return undefined;
  }
}

/** `identifier=system|value`, `identifier=value`, `<reference param>=Type/id`, each possibly a comma-separated OR. */
function filterKeys(
  resourceType: string,
  filter: { code: string; operator: Operator; value: string }
): string[] | undefined {
  if (filter.operator !== Operator.EQUALS || filter.value.includes('\\') || filter.value === '') return undefined;
  const values = filter.value.split(',');
  const searchParameter = getSearchParameter(resourceType, filter.code);
  if (filter.code === 'identifier') {
    if (!onlyIdentifierOf(resourceType, searchParameter?.expression)) return undefined;
    if (values.some((value) => value.startsWith('|') || value.endsWith('|'))) return undefined;
    // Token matching ignores case (@medplum/core search/match.ts, matchesTokenValue).
    return values.map((value) => `identifier:${value.toLowerCase()}`);
  }
  if (searchParameter?.type !== 'reference') return undefined;
  if (!values.every((value) => TYPE_AND_ID.test(value))) return undefined;
  return values.map((value) => `ref:${value}`);
}

const identifierOnly = new Map<string, boolean>();

/** The search parameter reads `<Type>.identifier` and nothing else of this type (not `masterIdentifier`, say). */
function onlyIdentifierOf(resourceType: string, expression: string | undefined): boolean {
  let known = identifierOnly.get(resourceType);
  if (known === undefined) {
    known = readsOnlyIdentifier(resourceType, expression);
    identifierOnly.set(resourceType, known);
  }
  return known;
}

function readsOnlyIdentifier(resourceType: string, expression: string | undefined): boolean {
  if (!expression) return false;
  const ownPaths = expression
    .split('|')
    .map((path) => path.trim())
    .filter((path) => path.startsWith(`${resourceType}.`));
  return ownPaths.length > 0 && ownPaths.every((path) => path === `${resourceType}.identifier`);
}

const TYPE_AND_ID = /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/;
/** The `Type/id` a stored reference points at: relative, versioned or absolute. */
const REFERENCE_TARGET = /(?:^|\/)([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

function indexKeys(resource: Resource): string[] {
  const keys = new Set<string>();
  for (const identifier of (resource as { identifier?: { system?: string; value?: string }[] }).identifier ?? []) {
    if (!identifier.value) continue;
    const value = identifier.value.toLowerCase();
    keys.add(`identifier:${value}`);
    if (identifier.system) keys.add(`identifier:${identifier.system.toLowerCase()}|${value}`);
  }
  collectReferences(resource, keys);
  return [...keys];
}

function collectReferences(value: unknown, keys: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, keys);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [field, child] of Object.entries(value)) {
    if (field === 'reference' && typeof child === 'string') {
      const target = REFERENCE_TARGET.exec(child)?.[1];
      if (target) keys.add(`ref:${target}`);
    } else if (typeof child === 'object') {
      collectReferences(child, keys);
    }
  }
}

function sameKeys(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((key, index) => key === b[index]);
}

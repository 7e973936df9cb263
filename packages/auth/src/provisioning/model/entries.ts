import type { Project, Reference, Resource } from '@medplum/fhirtypes';
import { SEED_IDS, SYSTEMS } from '../../ids.ts';

/** How `provision` writes an entry to a real Medplum. */
export type ProvisionVia =
  /** The project of the admin credentials; never created. */
  | 'project'
  /** Plain FHIR, conditional on `match`. */
  | 'fhir'
  /** `POST admin/projects/:id/client`, then FHIR updates of the ClientApplication and its membership. */
  | 'client'
  /** `POST admin/projects/:id/invite` (creates User + profile + membership). */
  | 'invite'
  /** Written as part of another entry (`client` / `invite`); no request of its own. */
  | 'dependent';

export interface ModelEntry<T extends Resource = Resource> {
  /** Stable name of the entry, also its `meta.tag` code. */
  key: string;
  /** The resource exactly as the seed stores it (fixed id, references to other seed ids). */
  resource: T & { id: string };
  via: ProvisionVia;
  /** FHIR search that finds the live resource on a real Medplum (`via: 'fhir'` and `'client'`). */
  match?: string;
  /** For `client` / `invite`: the key of the ProjectMembership entry written with it. */
  membershipKey?: string;
  /** `client` only: a public client, whose secret (Medplum generates one anyway) is never handed out. */
  publicClient?: true;
  /** Fields that are never compared nor overwritten on a real Medplum (secrets the server generates, hashes). */
  serverOwned?: readonly string[];
  /** `invite` only: the password the new user gets (never logged; not part of the resource). */
  password?: string;
}

/** Erases the resource type of an entry, so entries of every type go in one list. */
export function entry<T extends Resource>(value: ModelEntry<T>): ModelEntry {
  return value as unknown as ModelEntry;
}

export function tag(key: string): { tag: { system: string; code: string }[] } {
  return { tag: [{ system: SYSTEMS.provisioning, code: key }] };
}

/** `meta` of a resource that belongs to the project: the project and the entry's tag. */
export function projectMeta(key: string): { project: string; tag: { system: string; code: string }[] } {
  return { project: SEED_IDS.project, ...tag(key) };
}

export function byTag(resourceType: string, key: string): string {
  return `${resourceType}?_tag=${encodeURIComponent(`${SYSTEMS.provisioning}|${key}`)}`;
}

export function byIdentifier(resourceType: string, system: string, value: string): string {
  return `${resourceType}?identifier=${encodeURIComponent(`${system}|${value}`)}`;
}

export function ref<T extends Resource>(resourceType: T['resourceType'], id: string, display?: string): Reference<T> {
  return display ? { reference: `${resourceType}/${id}`, display } : { reference: `${resourceType}/${id}` };
}

export const DEFAULT_PROJECT_NAME = 'Org Medplum Reference';

export function projectRef(name: string | undefined): Reference<Project> {
  return ref<Project>('Project', SEED_IDS.project, name ?? DEFAULT_PROJECT_NAME);
}

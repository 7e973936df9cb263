import type { WithId } from '@medplum/core';
import { createReference, getReferenceString } from '@medplum/core';
import type { ClientApplication, Project, ProjectMembership, Reference, Resource, User } from '@medplum/fhirtypes';
import type { EmulatorRepository } from '../store/emulator-repository.ts';

/** Internal look-ups over the system repository; none of these go through the caller's access policy. */

export function findClient(repo: EmulatorRepository, id: string | undefined): WithId<ClientApplication> | undefined {
  if (!id) return undefined;
  return repo.list<ClientApplication>('ClientApplication').find((client) => client.id === id);
}

/**
 * The User with this email. With `scope`, only a User of that project (`scope.project` = `Project/<id>`), or with
 * `scope.project` undefined only a server-wide User (no `project`), as Medplum's `getUserByEmailInProject` /
 * `getUserByEmailWithoutProject` look them up.
 */
export function findUserByEmail(
  repo: EmulatorRepository,
  email: string,
  scope?: { project: string | undefined }
): WithId<User> | undefined {
  const wanted = email.trim().toLowerCase();
  return repo
    .list<User>('User')
    .find((user) => user.email?.toLowerCase() === wanted && (!scope || user.project?.reference === scope.project));
}

/**
 * The user an external identity provider's subject names, as Medplum's getUserByExternalId
 * (packages/server/src/oauth/utils.ts): the user of the project's membership with that `externalId`, else a legacy
 * User of the project with `externalId` (external.test.ts "Legacy User.externalId support").
 */
export function findUserByExternalId(
  repo: EmulatorRepository,
  externalId: string,
  projectId: string
): WithId<User> | undefined {
  const users = repo.list<User>('User');
  const membership = repo
    .list<ProjectMembership>('ProjectMembership')
    .find((m) => m.externalId === externalId && m.project?.reference === `Project/${projectId}`);
  if (membership) return users.find((user) => `User/${user.id}` === membership.user?.reference);
  return users.find((user) => user.externalId === externalId && user.project?.reference === `Project/${projectId}`);
}

export function findMembership(
  repo: EmulatorRepository,
  id: string | undefined
): WithId<ProjectMembership> | undefined {
  if (!id) return undefined;
  return repo.list<ProjectMembership>('ProjectMembership').find((membership) => membership.id === id);
}

/** Active memberships whose `user` is the given User, ClientApplication or Bot, optionally within one project. */
export function membershipsOf(
  repo: EmulatorRepository,
  user: Reference | Resource,
  projectId?: string
): WithId<ProjectMembership>[] {
  const userReference = 'reference' in user ? user.reference : getReferenceString(user as WithId<Resource>);
  return repo
    .list<ProjectMembership>('ProjectMembership')
    .filter((membership) => membership.user?.reference === userReference && membership.active !== false)
    .filter((membership) => !projectId || membership.project?.reference === `Project/${projectId}`);
}

/** The project a ClientApplication belongs to: `meta.project` as Medplum stores it, else its own membership's. */
export function clientProjectId(repo: EmulatorRepository, client: WithId<ClientApplication>): string | undefined {
  return client.meta?.project ?? membershipsOf(repo, client)[0]?.project?.reference?.replace('Project/', '');
}

export async function readProject(
  repo: EmulatorRepository,
  membership: ProjectMembership
): Promise<WithId<Project> | undefined> {
  if (!membership.project?.reference) return undefined;
  return repo.readReference(membership.project as Reference<Project>).catch(() => undefined);
}

/** `{reference, display}` as Medplum's createReference builds it, or the bare reference when the target is gone. */
export async function profileReference(repo: EmulatorRepository, reference: Reference | undefined): Promise<Reference> {
  if (!reference?.reference) return { reference: 'system' };
  const resource = await repo.readReference(reference).catch(() => undefined);
  return resource ? createReference(resource) : { reference: reference.reference };
}

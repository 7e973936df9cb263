import type { ProfileResource, WithId } from '@medplum/core';
import { badRequest, conflict, createReference, getReferenceString, OperationOutcomeError } from '@medplum/core';
import type { Project, ProjectMembership, Reference, User } from '@medplum/fhirtypes';
import bcrypt from 'bcryptjs';
import { findUserByEmail } from '../access/directory.ts';
import { systemRepository } from '../fhir/repositories.ts';
import type { FieldProblem } from '../http/validation.ts';
import { invalidRequest, isEmail, isPlainObject, isReference } from '../http/validation.ts';
import { randomSecret } from '../oauth/logins.ts';
import type { EmulatorServices } from '../services.ts';

const PROFILE_TYPES = ['Patient', 'Practitioner', 'RelatedPerson'] as const;

/** Medplum's cost for password hashes. */
const BCRYPT_ROUNDS = 10;

/** The body of `POST admin/projects/:projectId/invite` (Medplum's `InviteRequest`, without `externalId`). */
export interface InviteRequest {
  resourceType: (typeof PROFILE_TYPES)[number];
  firstName: string;
  lastName: string;
  /** Lower-cased, as Medplum stores it. */
  email: string;
  password?: string;
  upsert: boolean;
  /** `membership` from the body, with `accessPolicy`, `access` and `admin` (when given) laid over it. */
  membership: Partial<ProjectMembership>;
}

/**
 * Medplum's invite validators (resourceType, firstName, lastName, then "email or externalId"), one issue per field. The
 * emulator also checks the types of what it stores in the membership, and refuses `externalId` invites, which it does
 * not implement. `sendEmail` is accepted and ignored: the emulator sends no email.
 */
export function parseInviteRequest(body: Record<string, unknown>): InviteRequest {
  if (body.externalId !== undefined) {
    throw new OperationOutcomeError(badRequest('The emulator does not support invites by externalId; invite by email'));
  }
  const problems: FieldProblem[] = [];
  if (!PROFILE_TYPES.includes(body.resourceType as InviteRequest['resourceType'])) {
    problems.push({ field: 'resourceType', message: 'Resource type is required' });
  }
  if (typeof body.firstName !== 'string' || body.firstName === '') {
    problems.push({ field: 'firstName', message: 'First name is required' });
  }
  if (typeof body.lastName !== 'string' || body.lastName === '') {
    problems.push({ field: 'lastName', message: 'Last name is required' });
  }
  if (!isEmail(body.email)) problems.push({ message: 'Either email or externalId is required' });
  if (body.password !== undefined && body.password !== null && typeof body.password !== 'string') {
    problems.push({ field: 'password', message: 'password must be a string' });
  }
  if (body.accessPolicy !== undefined && !isReference(body.accessPolicy, 'AccessPolicy')) {
    problems.push({ field: 'accessPolicy', message: 'accessPolicy must be a reference to an AccessPolicy' });
  }
  if (
    body.access !== undefined &&
    !(Array.isArray(body.access) && body.access.every((a) => isReference(a?.policy, 'AccessPolicy')))
  ) {
    problems.push({
      field: 'access',
      message: 'access must be a list of {policy: Reference<AccessPolicy>, parameter?}',
    });
  }
  if (body.admin !== undefined && typeof body.admin !== 'boolean') {
    problems.push({ field: 'admin', message: 'admin must be true or false' });
  }
  const membership = body.membership ?? {};
  if (!isPlainObject(membership) || (membership.profile !== undefined && !isReference(membership.profile))) {
    problems.push({ field: 'membership', message: 'membership must be a ProjectMembership template' });
  }
  if (problems.length > 0) throw invalidRequest(problems);

  const template = { ...(membership as Partial<ProjectMembership>) };
  if (body.accessPolicy !== undefined) template.accessPolicy = body.accessPolicy as ProjectMembership['accessPolicy'];
  if (body.access !== undefined) template.access = body.access as ProjectMembership['access'];
  if (body.admin !== undefined) template.admin = body.admin as boolean;
  return {
    resourceType: body.resourceType as InviteRequest['resourceType'],
    firstName: body.firstName as string,
    lastName: body.lastName as string,
    email: (body.email as string).toLowerCase(),
    ...(typeof body.password === 'string' ? { password: body.password } : {}),
    upsert: Boolean(body.upsert),
    membership: template,
  };
}

/**
 * Medplum's `inviteUser`: finds or creates the User by email (a server-wide User for practitioners and related persons,
 * a project User for patients; a new one gets a bcrypt hash of `password`, or of a random one), finds the profile (the
 * one named in `membership.profile`, else one of that type in the project with that email) or creates it, then creates
 * the ProjectMembership, or with `upsert` updates the existing one (409 without `upsert`, or when its profile differs).
 * Every write goes through the system repository (`meta.author` = system).
 */
export async function inviteUser(
  services: EmulatorServices,
  project: WithId<Project>,
  request: InviteRequest
): Promise<WithId<ProjectMembership>> {
  const system = systemRepository(services, project.id);
  const projectReference = getReferenceString(project);
  const projectUser = request.resourceType === 'Patient';

  let user = findUserByEmail(services.repo, request.email, {
    project: projectUser ? projectReference : undefined,
  });
  if (!user) {
    const passwordHash = await bcrypt.hash(request.password ?? randomSecret(), BCRYPT_ROUNDS);
    user = await systemRepository(services, projectUser ? project.id : undefined).createResource<User>({
      resourceType: 'User',
      // The system repository takes a User's project from its meta (packages/server/src/fhir/repo.ts, getProjectId).
      ...(projectUser ? { meta: { project: project.id } } : {}),
      firstName: request.firstName,
      lastName: request.lastName,
      email: request.email,
      passwordHash,
      ...(projectUser ? { project: createReference(project) } : {}),
    });
  }

  const profile =
    (await existingProfile(services, project, request)) ??
    (await system.createResource({
      resourceType: request.resourceType,
      name: [{ given: [request.firstName], family: request.lastName }],
      telecom: [{ system: 'email', use: 'work', value: request.email }],
      // A RelatedPerson requires `patient`; Medplum creates it without one too.
    } as ProfileResource));

  const identity = {
    resourceType: 'ProjectMembership' as const,
    project: createReference(project),
    user: createReference(user),
    profile: createReference(profile),
  };
  const existing = services.repo
    .list<ProjectMembership>('ProjectMembership')
    .find((m) => m.user?.reference === identity.user.reference && m.project?.reference === projectReference);
  if (!existing) return system.createResource<ProjectMembership>({ ...request.membership, ...identity });
  if (!request.upsert) throw new OperationOutcomeError(conflict('User is already a member of this project'));
  if (existing.profile?.reference !== identity.profile.reference) {
    throw new OperationOutcomeError(conflict('User is already a member of this project with a different profile'));
  }
  return system.updateResource<ProjectMembership>({ ...existing, ...request.membership, ...identity, id: existing.id });
}

async function existingProfile(
  services: EmulatorServices,
  project: WithId<Project>,
  request: InviteRequest
): Promise<WithId<ProfileResource> | undefined> {
  const named = request.membership.profile;
  if (named) {
    const profile = await services.repo.readReference(named as Reference<ProfileResource>);
    if (profile.meta?.project !== project.id) {
      throw new OperationOutcomeError(badRequest('Profile does not belong to project'));
    }
    if (profile.resourceType !== request.resourceType) {
      throw new OperationOutcomeError(badRequest('Profile resourceType does not match request'));
    }
    return profile;
  }
  return services.repo
    .list<ProfileResource>(request.resourceType)
    .find(
      (candidate) =>
        candidate.meta?.project === project.id &&
        candidate.telecom?.some((t) => t.system === 'email' && t.value?.toLowerCase() === request.email)
    );
}

import { badRequest, OperationOutcomeError, projectAdminResourceTypes, resolveId } from '@medplum/core';
import type {
  AccessPolicy,
  AccessPolicyIpAccessRule,
  AccessPolicyResource,
  Project,
  ProjectMembership,
  ProjectMembershipAccess,
  ProjectMembershipAccessParameter,
  Reference,
} from '@medplum/fhirtypes';
import type { EmulatorRepository } from '../store/emulator-repository.ts';

/** What a membership whose policy cannot be read gets, word for word (packages/server/src/fhir/accesspolicy.ts). */
export const INVALID_ACCESS_POLICY =
  'Cannot authenticate: Invalid access policy configuration. Please contact your administrator to update your project membership.';

/**
 * The effective AccessPolicy of a membership, built as packages/server/src/fhir/accesspolicy.ts does
 * (`buildAccessPolicy` + `applyProjectAdminAccessPolicy`): `accessPolicy` and every `access[]` entry combined, their
 * `%name` / `%name.id` parameters substituted as text (`%profile` and, unless given, `%patient` mean the membership's
 * profile), the last policy `compartment` kept, `readonly` entries without `interaction` limited to
 * search/read/history/vread, full access (`*`) when there is no policy at all, SearchParameter and StructureDefinition
 * readable when not listed, and the project-admin types replaced by the fixed project-admin entries (admins) or removed
 * (everyone else).
 *
 * The result is always a concrete policy: `satisfiedAccessPolicy(…, undefined)` would grant everything, project-admin
 * types included, which Medplum only does for super admins.
 */
export async function effectiveAccessPolicy(
  repo: EmulatorRepository,
  membership: ProjectMembership
): Promise<AccessPolicy> {
  const grants: ProjectMembershipAccess[] = [];
  if (membership.accessPolicy) grants.push({ policy: membership.accessPolicy });
  for (const access of membership.access ?? []) grants.push(access);

  let compartment: Reference | undefined;
  const resource: AccessPolicyResource[] = [];
  const ipAccessRule: AccessPolicyIpAccessRule[] = [];
  const read = new Map<string, AccessPolicy>();
  for (const grant of grants) {
    const key = grant.policy.reference ?? '';
    let stored = read.get(key);
    if (!stored) {
      stored = await repo.readReference<AccessPolicy>(grant.policy).catch(() => undefined);
      // As Medplum: one generic message, nothing about the policy itself.
      if (!stored) throw new OperationOutcomeError(badRequest(INVALID_ACCESS_POLICY));
      read.set(key, stored);
    }
    const policy = substituteParameters(stored, membership.profile, grant.parameter ?? []);
    if (policy.compartment) compartment = policy.compartment;
    for (const entry of policy.resource ?? []) {
      if (!entry.interaction && entry.readonly) entry.interaction = ['search', 'read', 'history', 'vread'];
      resource.push(entry);
    }
    ipAccessRule.push(...(policy.ipAccessRule ?? []));
  }
  // Legacy: a membership without any policy has full access.
  if (!membership.access?.length && !membership.accessPolicy) resource.push({ resourceType: '*' });

  for (const resourceType of ['SearchParameter', 'StructureDefinition']) {
    if (!resource.some((entry) => entry.resourceType === resourceType)) resource.push({ resourceType, readonly: true });
  }

  const project = membership.admin ? await readProject(repo, membership) : undefined;
  return {
    resourceType: 'AccessPolicy',
    ...(compartment ? { compartment } : {}),
    resource: applyProjectAdminEntries(membership, project, resource),
    ...(ipAccessRule.length ? { ipAccessRule } : {}),
  };
}

/** Medplum's text substitution: given parameters first, then `%profile`, then `%patient` unless a parameter named it. */
function substituteParameters(
  policy: AccessPolicy,
  profile: Reference | undefined,
  given: ProjectMembershipAccessParameter[]
): AccessPolicy {
  const parameters = [...given];
  if (profile) {
    parameters.push({ name: 'profile', valueReference: profile });
    if (!parameters.some((p) => p.name === 'patient')) parameters.push({ name: 'patient', valueReference: profile });
  }
  let json = JSON.stringify(policy);
  for (const parameter of parameters) {
    if (parameter.valueString) {
      json = json.replaceAll(`%${parameter.name}`, parameter.valueString);
    } else if (parameter.valueReference) {
      json = json.replaceAll(`%${parameter.name}.id`, resolveId(parameter.valueReference) as string);
      json = json.replaceAll(`%${parameter.name}`, parameter.valueReference.reference as string);
    }
  }
  return JSON.parse(json) as AccessPolicy;
}

/**
 * Project admins get limited, explicit access to the project-admin types (their own Project editable but not
 * deletable, its memberships and project Users, secrets hidden); everyone else loses any entry for those types.
 */
function applyProjectAdminEntries(
  membership: ProjectMembership,
  project: Project | undefined,
  entries: AccessPolicyResource[]
): AccessPolicyResource[] {
  const resource = entries.filter((entry) => !projectAdminResourceTypes.includes(entry.resourceType));
  if (!membership.admin) return resource;
  const projectId = resolveId(membership.project);
  resource.push(
    {
      resourceType: 'Project',
      readonlyFields: ['features', 'link', 'systemSetting'],
      hiddenFields: ['superAdmin', 'systemSecret', 'strictMode'],
      interaction: ['read', 'vread', 'history', 'search'],
    },
    {
      resourceType: 'Project',
      criteria: `Project?_id=${projectId}`,
      readonlyFields: ['features', 'link', 'systemSetting'],
      hiddenFields: ['superAdmin', 'systemSecret', 'strictMode'],
      interaction: ['read', 'vread', 'update', 'history', 'create', 'search'],
    }
  );
  if (project?.link) {
    resource.push({
      resourceType: 'Project',
      criteria: `Project?_id=${project.link.map((link) => resolveId(link.project)).join(',')}`,
      readonly: true,
      hiddenFields: ['superAdmin', 'setting', 'systemSetting', 'secret', 'systemSecret', 'strictMode'],
    });
  }
  resource.push(
    {
      resourceType: 'ProjectMembership',
      criteria: `ProjectMembership?_project=${projectId}`,
      readonlyFields: ['project', 'user'],
    },
    { resourceType: 'UserSecurityRequest', criteria: `UserSecurityRequest?_project=${projectId}`, readonly: true },
    {
      resourceType: 'User',
      criteria: `User?_project=${projectId}`,
      hiddenFields: ['passwordHash', 'mfaSecret'],
      readonlyFields: ['email', 'emailVerified', 'mfaEnrolled', 'project'],
    },
    { resourceType: 'Package', readonly: true },
    { resourceType: 'PackageRelease', readonly: true },
    { resourceType: 'PackageInstallation', readonly: true },
    // Not among the entries of the Medplum source read, but @medplum/core 5.2 counts AccessPolicy as a project-admin
    // type, and project admins manage their project's policies over the FHIR API (the provisioning in @org/auth does).
    { resourceType: 'AccessPolicy' }
  );
  return resource;
}

async function readProject(repo: EmulatorRepository, membership: ProjectMembership): Promise<Project | undefined> {
  if (!membership.project?.reference) return undefined;
  return repo.readReference<Project>(membership.project as Reference<Project>).catch(() => undefined);
}

import type {
  AccessPolicy,
  AccessPolicyResource,
  ProjectMembership,
  ProjectMembershipAccessParameter,
  Reference,
} from '@medplum/fhirtypes';
import type { EmulatorRepository } from '../store/emulator-repository.ts';

/**
 * The effective AccessPolicy of a membership, built the way Medplum's server does (packages/server/src/fhir/accesspolicy.ts,
 * medplum-facts §6.4): `accessPolicy` and every `access[]` entry combined, `%name` / `%name.id` parameters substituted as
 * text (`%profile` and `%patient` always mean the membership's profile), full access when there is no policy at all,
 * SearchParameter and StructureDefinition always readable, fixed entries for project admins.
 *
 * The result is always a concrete policy: `satisfiedAccessPolicy(…, undefined)` would grant everything, project-admin
 * types included, which is not what Medplum does for a membership without a policy.
 */
export async function effectiveAccessPolicy(
  repo: EmulatorRepository,
  membership: ProjectMembership
): Promise<AccessPolicy> {
  const grants: { policy: Reference<AccessPolicy>; parameter?: ProjectMembershipAccessParameter[] }[] = [];
  if (membership.accessPolicy) grants.push({ policy: membership.accessPolicy });
  for (const access of membership.access ?? []) grants.push(access);

  const resource: AccessPolicyResource[] = [];
  const ipAccessRule: NonNullable<AccessPolicy['ipAccessRule']> = [];
  for (const grant of grants) {
    const stored = await repo.readReference<AccessPolicy>(grant.policy).catch(() => undefined);
    if (!stored) {
      throw new Error(`ProjectMembership/${membership.id} names ${grant.policy.reference}, which does not exist`);
    }
    const policy = substituteParameters(stored, membership, grant.parameter ?? []);
    resource.push(...(policy.resource ?? []));
    ipAccessRule.push(...(policy.ipAccessRule ?? []));
  }
  if (grants.length === 0) resource.push({ resourceType: '*' });

  resource.push(
    { resourceType: 'SearchParameter', readonly: true },
    { resourceType: 'StructureDefinition', readonly: true }
  );
  if (membership.admin) resource.push(...projectAdminEntries(membership));

  return { resourceType: 'AccessPolicy', resource, ...(ipAccessRule.length ? { ipAccessRule } : {}) };
}

function substituteParameters(
  policy: AccessPolicy,
  membership: ProjectMembership,
  parameters: ProjectMembershipAccessParameter[]
): AccessPolicy {
  const values = new Map<string, string>();
  const profile = membership.profile?.reference;
  if (profile) {
    values.set('profile', profile);
    values.set('patient', profile);
  }
  for (const parameter of parameters) {
    const value = parameter.valueReference?.reference ?? parameter.valueString;
    if (parameter.name && value !== undefined) values.set(parameter.name, value);
  }
  let text = JSON.stringify(policy);
  for (const [name, value] of values) {
    // `%name.id` first, so `%name` does not eat its prefix.
    const id = value.includes('/') ? (value.split('/').pop() as string) : value;
    text = text.replaceAll(`%${name}.id`, jsonEscape(id)).replaceAll(`%${name}`, jsonEscape(value));
  }
  return JSON.parse(text) as AccessPolicy;
}

function jsonEscape(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/** Project admins may manage their own project's memberships, policies and users; secrets stay hidden. */
function projectAdminEntries(membership: ProjectMembership): AccessPolicyResource[] {
  const projectId = membership.project?.reference?.replace('Project/', '') ?? '';
  return [
    { resourceType: 'Project', criteria: `Project?_id=${projectId}`, readonlyFields: ['superAdmin', 'features'] },
    { resourceType: 'ProjectMembership' },
    { resourceType: 'AccessPolicy' },
    { resourceType: 'User', hiddenFields: ['passwordHash', 'mfaSecret'] },
    { resourceType: 'UserSecurityRequest' },
  ];
}

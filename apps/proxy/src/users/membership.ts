/**
 * Finds a legacy user's Medplum membership at sign-in. Users with a `provisioningKey` are looked up by the tag
 * `@org/auth/provisioning` puts on everything it makes (`ProjectMembership?_tag=<system>|<key>`), as the service
 * identity itself — a project admin may read memberships. The seed ids are the fallback when nothing carries the tag.
 */
import type { ProjectMembership } from '@medplum/fhirtypes';
import { SYSTEMS } from '@org/auth/ids';
import type { ServiceClient } from '@org/auth/server';
import type { MedplumIdentity } from './store.ts';

export async function resolveMembership(medplum: ServiceClient, identity: MedplumIdentity): Promise<MedplumIdentity> {
  if (!identity.provisioningKey) return identity;
  const found = await medplum.searchOne('ProjectMembership', {
    _tag: `${SYSTEMS.provisioning}|${identity.provisioningKey}`,
  });
  return found?.id && found.profile?.reference ? fromMembership(found, identity) : identity;
}

function fromMembership(membership: ProjectMembership & { id: string }, fallback: MedplumIdentity): MedplumIdentity {
  return {
    ...fallback,
    membership: `ProjectMembership/${membership.id}`,
    profile: membership.profile?.reference ?? fallback.profile,
    profileDisplay: membership.profile?.display ?? fallback.profileDisplay,
  };
}

import { projectAdminResourceTypes } from '@medplum/core';
import type { AccessPolicy } from '@medplum/fhirtypes';
import type { Caller } from '../auth/authenticate.ts';
import type { EmulatorServices } from '../services.ts';
import { ScopedRepository } from './scoped-repository.ts';

export function fhirBaseUrl(services: EmulatorServices): string {
  return `${services.baseUrl}fhir/R4/`;
}

/** The repository one authenticated request works with (Medplum's `getRepoForLogin`): the caller's policy and attribution. */
export function callerRepository(services: EmulatorServices, caller: Caller): ScopedRepository {
  return new ScopedRepository(
    services.repo,
    {
      accessPolicy: caller.accessPolicy,
      author: caller.author,
      ...(caller.onBehalfOf ? { onBehalfOf: caller.onBehalfOf } : {}),
      ...(caller.projectId ? { projectId: caller.projectId } : {}),
      fhirBaseUrl: fhirBaseUrl(services),
    },
    (event) => services.dispatcher.notify(event)
  );
}

/** Every type but the protected ones (Login, JsonWebKey, ...), project-admin types included. */
const SYSTEM_POLICY: AccessPolicy = {
  resourceType: 'AccessPolicy',
  resource: [{ resourceType: '*' }, ...projectAdminResourceTypes.map((resourceType) => ({ resourceType }))],
};

/**
 * What Medplum's server does through its system repository on a caller's behalf (admin invites, a new client's
 * membership): no access policy, `meta.author` = `{reference: 'system'}`, `meta.project` = the given project. Writes
 * still reach the data file and the subscription dispatcher like any other.
 */
export function systemRepository(services: EmulatorServices, projectId: string | undefined): ScopedRepository {
  return new ScopedRepository(
    services.repo,
    {
      accessPolicy: SYSTEM_POLICY,
      author: { reference: 'system' },
      ...(projectId ? { projectId } : {}),
      fhirBaseUrl: fhirBaseUrl(services),
    },
    (event) => services.dispatcher.notify(event)
  );
}

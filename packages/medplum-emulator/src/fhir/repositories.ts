import type { Caller } from '../access/authenticate.ts';
import type { EmulatorServices } from '../services.ts';
import { ScopedRepository } from './scoped-repository.ts';

export function fhirBaseUrl(services: EmulatorServices): string {
  return `${services.baseUrl}fhir/R4/`;
}

/**
 * The repository one authenticated request works with (Medplum's `getRepoForLogin`, packages/server/src/fhir/accesspolicy.ts):
 * the acting membership's policy, project and admin flag, the real caller as author, the on-behalf-of profile, and
 * extended mode when the request says `X-Medplum: extended`.
 */
export function callerRepository(
  services: EmulatorServices,
  caller: Caller,
  options: { extendedMode?: boolean } = {}
): ScopedRepository {
  return new ScopedRepository(
    services.repo,
    {
      accessPolicy: caller.accessPolicy,
      author: caller.author,
      ...(caller.onBehalfOf ? { onBehalfOf: caller.onBehalfOf } : {}),
      ...(caller.projectId ? { projectId: caller.projectId } : {}),
      projectAdmin: Boolean(caller.membership.admin),
      extendedMode: Boolean(options.extendedMode),
      fhirBaseUrl: fhirBaseUrl(services),
    },
    (event) => services.dispatcher.notify(event)
  );
}

/**
 * What Medplum's server does through its (project) system repository on a caller's behalf (admin invites, a new client's
 * membership): no access policy, `meta.author` = `{reference: 'system'}`, `meta.project` = the given project unless
 * the resource names its own. Writes still reach the data file and the subscription dispatcher like any other.
 */
export function systemRepository(services: EmulatorServices, projectId: string | undefined): ScopedRepository {
  return new ScopedRepository(
    services.repo,
    {
      author: { reference: 'system' },
      ...(projectId ? { projectId } : {}),
      superAdmin: true,
      extendedMode: true,
      fhirBaseUrl: fhirBaseUrl(services),
    },
    (event) => services.dispatcher.notify(event)
  );
}

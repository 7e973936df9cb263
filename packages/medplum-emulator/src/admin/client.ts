import type { WithId } from '@medplum/core';
import { createReference } from '@medplum/core';
import type {
  AccessPolicy,
  ClientApplication,
  IdentityProvider,
  Project,
  ProjectMembership,
  Reference,
} from '@medplum/fhirtypes';
import type { Caller } from '../access/authenticate.ts';
import { callerRepository, systemRepository } from '../fhir/repositories.ts';
import type { FieldProblem } from '../http/validation.ts';
import { invalidRequest, isReference } from '../http/validation.ts';
import { randomSecret } from '../oauth/logins.ts';
import type { EmulatorServices } from '../services.ts';

/** The body of `POST admin/projects/:projectId/client`: the fields Medplum's `createClient` reads. */
export interface ClientRequest {
  name: string;
  description?: string;
  redirectUri?: string;
  identityProvider?: IdentityProvider;
  refreshTokenLifetime?: string;
  accessPolicy?: Reference<AccessPolicy>;
}

/** Medplum requires only `name`; the emulator also refuses an `accessPolicy` that is not an AccessPolicy reference. */
export function parseClientRequest(body: Record<string, unknown>): ClientRequest {
  const problems: FieldProblem[] = [];
  if (typeof body.name !== 'string' || body.name === '') {
    problems.push({ field: 'name', message: 'Client name is required' });
  }
  if (body.accessPolicy !== undefined && !isReference(body.accessPolicy, 'AccessPolicy')) {
    problems.push({ field: 'accessPolicy', message: 'accessPolicy must be a reference to an AccessPolicy' });
  }
  if (problems.length > 0) throw invalidRequest(problems);
  const request: ClientRequest = { name: body.name as string };
  for (const field of [
    'description',
    'redirectUri',
    'identityProvider',
    'refreshTokenLifetime',
    'accessPolicy',
  ] as const) {
    if (body[field] !== undefined) Object.assign(request, { [field]: body[field] });
  }
  return request;
}

/**
 * Medplum's `createClient`: the ClientApplication through the caller's own repository (so its policy applies and it is
 * `meta.author`), with a generated 64-character secret; its ProjectMembership (user = profile = the client) through the
 * system repository. Answers the ClientApplication, secret included.
 */
export async function createClient(
  services: EmulatorServices,
  caller: Caller,
  project: WithId<Project>,
  request: ClientRequest
): Promise<WithId<ClientApplication>> {
  const { accessPolicy, ...fields } = request;
  const client = await callerRepository(services, caller).createResource<ClientApplication>({
    resourceType: 'ClientApplication',
    ...fields,
    secret: randomSecret(),
  });
  await systemRepository(services, project.id).createResource<ProjectMembership>({
    resourceType: 'ProjectMembership',
    project: createReference(project),
    user: createReference(client),
    profile: createReference(client),
    ...(accessPolicy ? { accessPolicy } : {}),
  });
  return client;
}

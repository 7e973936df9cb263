import { timingSafeEqual } from 'node:crypto';
import type { WithId } from '@medplum/core';
import { createReference, OperationOutcomeError } from '@medplum/core';
import type { AccessPolicy, ClientApplication, Login, ProjectMembership, Reference } from '@medplum/fhirtypes';
import { findLogin } from '../oauth/logins.ts';
import type { EmulatorServices } from '../services.ts';
import { effectiveAccessPolicy } from './access-policy.ts';
import { findClient, findMembership, membershipsOf, profileReference } from './directory.ts';

/** An authenticated request, after `X-Medplum-On-Behalf-Of` has been applied. */
export interface Caller {
  /** The persisted Login (Bearer), or an unpersisted one for Basic auth, as Medplum builds it. */
  login: Login & { id?: string };
  /** The membership whose policy applies: the on-behalf-of target's when that header was sent. */
  membership: WithId<ProjectMembership>;
  /** The authenticated identity's own membership (Medplum's `authState.membership`), whatever on-behalf-of says. */
  callerMembership: WithId<ProjectMembership>;
  /** The real caller's profile (with display), stamped as `meta.author`. */
  author: Reference;
  /** Set only with `X-Medplum-On-Behalf-Of`. */
  onBehalfOf?: Reference;
  accessPolicy: AccessPolicy;
  projectId: string | undefined;
}

export const ON_BEHALF_OF_HEADER = 'x-medplum-on-behalf-of';

const perRequest = new WeakMap<Request, Promise<Caller | undefined>>();

/**
 * `authenticate` once per request: the rate limiter (a project's own limits) and the route both need the caller,
 * as Medplum's request context is built once and read by both.
 */
export function authenticateRequest(services: EmulatorServices, request: Request): Promise<Caller | undefined> {
  let caller = perRequest.get(request);
  if (!caller) {
    caller = authenticate(services, request.headers);
    perRequest.set(request, caller);
  }
  return caller;
}

/**
 * Medplum's `attachRequestContext` + `getLoginForAccessToken` / `getLoginForBasicAuth`: any failure means
 * "unauthenticated" (undefined), never an error, except an on-behalf-of header from a non-admin (403).
 */
export async function authenticate(services: EmulatorServices, headers: Headers): Promise<Caller | undefined> {
  // As packages/server/src/oauth/middleware.ts (authenticateTokenImpl): `<type> <token>` split on one space.
  const [tokenType, token] = (headers.get('authorization') ?? '').split(' ');
  let login: Caller['login'] | undefined;
  let membership: WithId<ProjectMembership> | undefined;
  if (tokenType === 'Bearer' && token) {
    ({ login, membership } = (await fromBearer(services, token)) ?? {});
  } else if (tokenType === 'Basic' && token) {
    ({ login, membership } = fromBasic(services, token) ?? {});
  }
  if (!login || !membership) return undefined;

  const author = await profileReference(services.repo, membership.profile);
  const onBehalfOf = headers.get(ON_BEHALF_OF_HEADER);
  if (onBehalfOf) {
    // Raised while the request context is built (tryAddOnBehalfOf) and answered, on current servers, as a 400
    // "Authentication error" with the reason in diagnostics (packages/server/src/fhir/onbehalfof.int.test.ts
    // "Forbidden for non-admin", "Forbidden for cross project"); releases before answered 403 `forbidden`.
    if (!membership.admin) throw authenticationError('Forbidden');
    const target = resolveOnBehalfOf(services, membership, onBehalfOf.trim());
    if (!target) throw authenticationError('Forbidden');
    return {
      login,
      membership: target,
      callerMembership: membership,
      author,
      onBehalfOf: await profileReference(services.repo, target.profile),
      accessPolicy: await effectiveAccessPolicy(services.repo, target),
      projectId: projectIdOf(target),
    };
  }
  return {
    login,
    membership,
    callerMembership: membership,
    author,
    accessPolicy: await effectiveAccessPolicy(services.repo, membership),
    projectId: projectIdOf(membership),
  };
}

function authenticationError(reason: string): OperationOutcomeError {
  return new OperationOutcomeError({
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'invalid', details: { text: 'Authentication error' }, diagnostics: reason }],
  });
}

/** Verifies a Medplum access token: signature, issuer, exp/nbf; its Login must exist, be unrevoked, with an active membership. */
async function fromBearer(
  services: EmulatorServices,
  token: string
): Promise<{ login: WithId<Login>; membership: WithId<ProjectMembership> } | undefined> {
  let claims: Record<string, unknown>;
  try {
    claims = await services.keys.verify(token, services.baseUrl);
  } catch {
    return undefined;
  }
  // Only access tokens are API credentials. Access and refresh tokens are audienced to the issuer, ID tokens to the
  // client (packages/server/src/oauth/introspect.ts); refresh tokens carry `refresh_secret`. Medplum's middleware tests
  // "ID token rejected as access token" and "Refresh token rejected as access token" expect 401 for both.
  if (claims.aud !== services.baseUrl || typeof claims.login_id !== 'string' || 'refresh_secret' in claims) {
    return undefined;
  }
  const login = findLogin(services, claims.login_id);
  if (!login?.membership || login.revoked) return undefined;
  const membership = findMembership(services.repo, login.membership?.reference?.split('/')[1]);
  if (!membership || membership.active === false) return undefined;
  return { login, membership };
}

/**
 * `Authorization: Basic base64(clientId:secret)`: an active ClientApplication and its current secret only (no
 * retiringSecret), with an active membership (middleware tests "Basic auth with inactive project membership",
 * "Basic auth with inactive client status").
 */
function fromBasic(
  services: EmulatorServices,
  encoded: string
): { login: Login; membership: WithId<ProjectMembership> } | undefined {
  const [clientId, secret] = parseBasicCredentials(encoded);
  if (!clientId || !secret) return undefined;
  const client = findClient(services.repo, clientId);
  if (!client?.secret || !timingSafeEqualStrings(client.secret, secret)) return undefined;
  if (client.status !== undefined && client.status !== 'active') return undefined;
  const membership = membershipsOf(services.repo, client)[0];
  if (!membership) return undefined;
  const login: Login = {
    resourceType: 'Login',
    user: createReference(client as WithId<ClientApplication>),
    client: createReference(client as WithId<ClientApplication>),
    authMethod: 'client',
    authTime: new Date().toISOString(),
    membership: createReference(membership),
  };
  return { login, membership };
}

/** Decoded as ASCII and split on `:`, keeping only the first two parts, exactly as Medplum does. */
export function parseBasicCredentials(encoded: string): [string | undefined, string | undefined] {
  const [username, password] = Buffer.from(encoded, 'base64').toString('ascii').split(':');
  return [username, password];
}

export function timingSafeEqualStrings(expected: string, actual: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}

function resolveOnBehalfOf(
  services: EmulatorServices,
  caller: ProjectMembership,
  value: string
): WithId<ProjectMembership> | undefined {
  const projectReference = caller.project?.reference;
  if (value.startsWith('ProjectMembership/')) {
    const target = findMembership(services.repo, value.split('/')[1]);
    return target?.project?.reference === projectReference ? target : undefined;
  }
  return services.repo
    .list<ProjectMembership>('ProjectMembership')
    .find((m) => m.profile?.reference === value && m.project?.reference === projectReference);
}

function projectIdOf(membership: ProjectMembership): string | undefined {
  return membership.project?.reference?.split('/')[1];
}

import type { WithId } from '@medplum/core';
import { badRequest, createReference, notFound, OperationOutcomeError } from '@medplum/core';
import type { ClientApplication, Login, Project, ProjectMembership, SmartAppLaunch, User } from '@medplum/fhirtypes';
import bcrypt from 'bcryptjs';
import { clientProjectId, findClient, membershipsOf, readProject } from '../access/directory.ts';
import { createLogin, setLoginMembership, updateLogin } from '../oauth/logins.ts';
import type { EmulatorServices } from '../services.ts';

/** The fields of Medplum's LoginRequest (packages/server/src/oauth/utils.ts) the emulator honours. */
export interface LoginOptions {
  projectId?: string;
  clientId?: string;
  scope?: string;
  nonce?: string;
  /** A SmartAppLaunch id (`launch` in the request). */
  launchId?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  remember?: boolean;
  /** The request's `Origin` header, checked against the client's `allowedOrigin` only when present. */
  origin?: string;
  remoteAddress?: string;
  userAgent?: string;
}

export interface LoginResult {
  login: string;
  code?: string;
  memberships?: { id: string; project?: unknown; profile?: unknown; identifier?: unknown }[];
}

/** `projectId: 'new'`: the user signs in to create a project (login.ts passes `allowNoMembership`). */
const NEW_PROJECT = 'new';

/**
 * `/auth/login`'s checks in Medplum's order (packages/server/src/auth/login.ts, then tryLogin in
 * packages/server/src/oauth/utils.ts); throws OperationOutcomeErrors with Medplum's messages. Returns the new Login and
 * the project the request is limited to (the client's, or the requested one).
 */
export async function passwordLogin(
  services: EmulatorServices,
  email: string,
  password: string,
  options: LoginOptions
): Promise<{ login: WithId<Login>; projectId: string | undefined }> {
  const { client, projectId } = resolveClientAndProject(services, options);
  validatePkce(options, client);
  const user = services.repo
    .list<User>('User')
    .find((candidate) => candidate.email?.toLowerCase() === email.trim().toLowerCase());
  if (!user) throw new OperationOutcomeError(badRequest('User not found'));
  if (!user.passwordHash || !(await bcrypt.compare(password, user.passwordHash))) {
    throw new OperationOutcomeError(badRequest('Email or password is invalid'));
  }
  const login = await startLogin(services, user, 'password', { ...options, projectId }, client);
  return { login, projectId };
}

/**
 * Creates the Login for a known user (Medplum's `tryLogin` after the credential check). A user without an active
 * membership (in the project, when there is one) is "User not found", except for `projectId: 'new'`.
 */
export async function startLogin(
  services: EmulatorServices,
  user: WithId<User>,
  authMethod: Login['authMethod'],
  options: LoginOptions,
  client: WithId<ClientApplication> | undefined
): Promise<WithId<Login>> {
  validatePkce(options, client);
  const launch = options.launchId ? readLaunch(services, options.launchId) : undefined;
  const newProject = options.projectId === NEW_PROJECT;
  if (!newProject && membershipsOf(services.repo, user, options.projectId).length === 0) {
    throw new OperationOutcomeError(badRequest('User not found'));
  }
  const login = await createLogin(services, {
    user: createReference(user),
    ...(client ? { client } : {}),
    authMethod,
    scope: options.scope || 'openid',
    ...(options.nonce ? { nonce: options.nonce } : {}),
    ...(options.codeChallenge ? { codeChallenge: options.codeChallenge } : {}),
    ...(options.codeChallengeMethod
      ? { codeChallengeMethod: options.codeChallengeMethod as Login['codeChallengeMethod'] }
      : {}),
    ...(launch ? { launch: createReference(launch) } : {}),
    ...(options.remember ? { remember: true } : {}),
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
  });
  return newProject ? updateLogin(services, login, { project: { reference: `Project/${NEW_PROJECT}` } }) : login;
}

/**
 * Medplum's `sendLoginResult` (packages/server/src/auth/utils.ts), without MFA: a login for a new project → `{login}`;
 * one membership → `{login, code}`; several → `{login, memberships}`, each project as a fresh reference with display.
 */
export async function loginResult(
  services: EmulatorServices,
  login: WithId<Login>,
  projectId: string | undefined
): Promise<{ result: LoginResult; login: WithId<Login> }> {
  if (login.project?.reference === `Project/${NEW_PROJECT}`) return { result: { login: login.id }, login };
  if (login.membership) return { result: { login: login.id, code: login.code as string }, login };
  const memberships = membershipsOf(services.repo, login.user, projectId);
  if (memberships.length === 1) {
    const membership = memberships[0] as WithId<ProjectMembership>;
    await assertProjectRequirements(services, login, membership);
    const granted = await setLoginMembership(services, login, membership);
    return { result: { login: granted.id, code: granted.code as string }, login: granted };
  }
  const result: LoginResult = { login: login.id, memberships: [] };
  for (const m of memberships) {
    const project = m.project?.reference
      ? await services.repo.readReference<Project>(m.project as { reference: string }).catch(() => undefined)
      : undefined;
    result.memberships?.push({
      id: m.id,
      project: project ? createReference(project) : m.project,
      profile: m.profile,
      identifier: m.identifier,
    });
  }
  return { result, login };
}

/**
 * The project's own sign-in rule, checked when a membership is chosen (setLoginMembership in
 * packages/server/src/oauth/utils.ts; login.int.test.ts "Require Google auth"). IP access rules are not modelled.
 */
export async function assertProjectRequirements(
  services: EmulatorServices,
  login: Login,
  membership: ProjectMembership
): Promise<void> {
  const project = await readProject(services.repo, membership);
  if (project?.features?.includes('google-auth-required') && login.authMethod !== 'google') {
    throw new OperationOutcomeError(badRequest('Google authentication is required'));
  }
}

/**
 * A clientId fixes the project; a different projectId is refused (packages/server/src/auth/utils.ts
 * getProjectIdByClientId). An unknown client is the repository's 404. A client's `allowedOrigin` is checked only when
 * the request has an `Origin` header (login.test.ts "Success with no origin", "Failure with unknown origin").
 */
function resolveClientAndProject(
  services: EmulatorServices,
  options: LoginOptions
): { client: WithId<ClientApplication> | undefined; projectId: string | undefined } {
  if (!options.clientId) return { client: undefined, projectId: options.projectId };
  const client = findClient(services.repo, options.clientId);
  if (!client) throw new OperationOutcomeError(notFound);
  const projectId = clientProjectId(services.repo, client);
  if (options.projectId !== undefined && options.projectId !== projectId) {
    throw new OperationOutcomeError(badRequest('Invalid projectId'));
  }
  if (client.allowedOrigin?.length && options.origin && !client.allowedOrigin.includes(options.origin)) {
    throw new OperationOutcomeError(badRequest('Invalid origin'));
  }
  return { client, projectId };
}

function readLaunch(services: EmulatorServices, id: string): WithId<SmartAppLaunch> {
  const launch = services.repo.list<SmartAppLaunch>('SmartAppLaunch').find((candidate) => candidate.id === id);
  if (!launch) throw new OperationOutcomeError(notFound);
  return launch;
}

/** As packages/server/src/oauth/utils.ts `validatePkce`: each error names its field as the expression. */
function validatePkce(options: LoginOptions, client: ClientApplication | undefined): void {
  if (client?.pkceOptional) return;
  const { codeChallenge, codeChallengeMethod } = options;
  if (codeChallenge && !codeChallengeMethod) {
    throw new OperationOutcomeError(badRequest('Invalid code challenge method', 'code_challenge_method'));
  }
  if (!codeChallenge && codeChallengeMethod) {
    throw new OperationOutcomeError(badRequest('Invalid code challenge', 'code_challenge'));
  }
  if (codeChallengeMethod && codeChallengeMethod !== 'plain' && codeChallengeMethod !== 'S256') {
    throw new OperationOutcomeError(badRequest('Invalid code challenge method', 'code_challenge_method'));
  }
}

/**
 * Whether every requested scope is covered by the login's scope, as Medplum's setLoginScope
 * (packages/server/src/oauth/utils.ts; scope.int.test.ts "Allow selection of restricted scopes", "Allow selection of
 * more granular scope", "Disallow selection of conflicting granular scope"): a plain scope must be listed; a SMART
 * scope must narrow one listed for the same context and resource type — fewer permissions (v1 `read` = `rs`,
 * `write` = `cud`, `*` = `cruds`) and every query constraint of the listed scope kept.
 */
export function isScopeSubset(existing: string, requested: string): boolean {
  const granted = existing.split(' ');
  return requested.split(' ').every((scope) => granted.some((candidate) => scopeCovers(candidate, scope)));
}

interface SmartScope {
  context: string;
  resourceType: string;
  permissions: string;
  query: URLSearchParams;
}

function scopeCovers(granted: string, requested: string): boolean {
  if (granted === requested) return true;
  const outer = parseSmartScope(granted);
  const inner = parseSmartScope(requested);
  if (!outer || !inner) return false;
  if (outer.context !== inner.context) return false;
  if (outer.resourceType !== '*' && outer.resourceType !== inner.resourceType) return false;
  if (![...inner.permissions].every((permission) => outer.permissions.includes(permission))) return false;
  return [...outer.query.entries()].every(([name, value]) => inner.query.getAll(name).includes(value));
}

const SMART_SCOPE = /^(patient|user|system)\/([A-Za-z]+|\*)\.([a-z*]+)(?:\?(.*))?$/;
const V1_PERMISSIONS: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };

function parseSmartScope(scope: string): SmartScope | undefined {
  const match = SMART_SCOPE.exec(scope);
  if (!match) return undefined;
  const [, context, resourceType, permissionText, query] = match as unknown as [
    string,
    string,
    string,
    string,
    string?,
  ];
  const permissions = V1_PERMISSIONS[permissionText] ?? (/^c?r?u?d?s?$/.test(permissionText) ? permissionText : '');
  if (!permissions) return undefined;
  return { context, resourceType, permissions, query: new URLSearchParams(query ?? '') };
}

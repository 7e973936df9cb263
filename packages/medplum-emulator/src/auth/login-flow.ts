import type { WithId } from '@medplum/core';
import { badRequest, createReference, OperationOutcomeError } from '@medplum/core';
import type { ClientApplication, Login, ProjectMembership, User } from '@medplum/fhirtypes';
import bcrypt from 'bcryptjs';
import { createLogin, setLoginMembership } from '../oauth/logins.ts';
import type { EmulatorServices } from '../services.ts';
import { clientProjectId, findClient, membershipsOf } from './directory.ts';

/** The fields of Medplum's BaseLoginRequest the emulator honours. */
export interface LoginOptions {
  projectId?: string;
  clientId?: string;
  scope?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  remember?: boolean;
  origin?: string;
  remoteAddress?: string;
  userAgent?: string;
}

export interface LoginResult {
  login: string;
  code?: string;
  memberships?: { id: string; project?: unknown; profile?: unknown; identifier?: unknown }[];
}

/**
 * `/auth/login`'s checks in Medplum's order; throws OperationOutcomeErrors with Medplum's messages. Returns the new
 * Login and the project the request is limited to (the client's, or the requested one).
 */
export async function passwordLogin(
  services: EmulatorServices,
  email: string,
  password: string,
  options: LoginOptions
): Promise<{ login: WithId<Login>; projectId: string | undefined }> {
  const { client, projectId } = resolveClientAndProject(services, options);
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

/** Creates the Login for a known user (Medplum's `tryLogin` after the credential check). */
export async function startLogin(
  services: EmulatorServices,
  user: WithId<User>,
  authMethod: Login['authMethod'],
  options: LoginOptions,
  client: WithId<ClientApplication> | undefined
): Promise<WithId<Login>> {
  validatePkce(options, client);
  if (membershipsOf(services.repo, user, options.projectId).length === 0) {
    throw new OperationOutcomeError(badRequest('User not found'));
  }
  return createLogin(services, {
    user: createReference(user),
    ...(client ? { client } : {}),
    authMethod,
    scope: options.scope || 'openid',
    ...(options.nonce ? { nonce: options.nonce } : {}),
    ...(options.codeChallenge ? { codeChallenge: options.codeChallenge } : {}),
    ...(options.codeChallengeMethod
      ? { codeChallengeMethod: options.codeChallengeMethod as Login['codeChallengeMethod'] }
      : {}),
    ...(options.remember ? { remember: true } : {}),
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
  });
}

/** Medplum's `sendLoginResult` (no MFA here): one membership → `{login, code}`; several → `{login, memberships}`. */
export async function loginResult(
  services: EmulatorServices,
  login: WithId<Login>,
  projectId: string | undefined
): Promise<{ result: LoginResult; login: WithId<Login> }> {
  const memberships = membershipsOf(services.repo, login.user, projectId);
  if (memberships.length === 1) {
    const granted = await setLoginMembership(services, login, memberships[0] as WithId<ProjectMembership>);
    return { result: { login: granted.id, code: granted.code as string }, login: granted };
  }
  return {
    result: {
      login: login.id,
      memberships: memberships.map((m) => ({
        id: m.id,
        project: m.project,
        profile: m.profile,
        identifier: m.identifier,
      })),
    },
    login,
  };
}

/** A clientId fixes the project; a different projectId is refused. A client's `allowedOrigin` is checked against Origin. */
function resolveClientAndProject(
  services: EmulatorServices,
  options: LoginOptions
): { client: WithId<ClientApplication> | undefined; projectId: string | undefined } {
  if (!options.clientId) return { client: undefined, projectId: options.projectId };
  const client = findClient(services.repo, options.clientId);
  if (!client) throw new OperationOutcomeError(badRequest('Client not found'));
  const projectId = clientProjectId(services.repo, client);
  if (options.projectId && options.projectId !== projectId) {
    throw new OperationOutcomeError(badRequest('Invalid projectId'));
  }
  if (client.allowedOrigin?.length && !(options.origin && client.allowedOrigin.includes(options.origin))) {
    throw new OperationOutcomeError(badRequest('Invalid origin'));
  }
  return { client, projectId };
}

function validatePkce(options: LoginOptions, client: ClientApplication | undefined): void {
  if (client?.pkceOptional) return;
  const { codeChallenge, codeChallengeMethod } = options;
  if (codeChallenge && !codeChallengeMethod)
    throw new OperationOutcomeError(badRequest('Missing code challenge method'));
  if (!codeChallenge && codeChallengeMethod) throw new OperationOutcomeError(badRequest('Missing code challenge'));
  if (codeChallengeMethod && codeChallengeMethod !== 'plain' && codeChallengeMethod !== 'S256') {
    throw new OperationOutcomeError(badRequest('Invalid code challenge method'));
  }
}

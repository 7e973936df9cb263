import { createHash } from 'node:crypto';
import type { WithId } from '@medplum/core';
import { badRequest, createReference, OperationOutcomeError, parseJWTPayload } from '@medplum/core';
import type { Login, ProjectMembership, User } from '@medplum/fhirtypes';
import type { Context } from 'hono';
import { timingSafeEqualStrings } from '../access/authenticate.ts';
import { clientProjectId, findClient, findUserByEmail, membershipsOf } from '../access/directory.ts';
import { clientAddress } from '../http/client-address.ts';
import type { EmulatorServices } from '../services.ts';
import { clientIdAndSecret, validateClientSecret } from './client-auth.ts';
import { createLogin, findLoginByCode, updateLogin } from './logins.ts';
import type { Form, TokenEndpoint } from './token-types.ts';
import { TokenError } from './token-types.ts';

const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export async function clientCredentials(endpoint: TokenEndpoint, c: Context, form: Form): Promise<WithId<Login>> {
  const { services } = endpoint;
  const { clientId, clientSecret } = await clientIdAndSecret(endpoint, c, form);
  if (!clientId) throw new TokenError('Missing client_id');
  if (!clientSecret) throw new TokenError('Missing client_secret');
  const client = findClient(services.repo, clientId);
  if (!client || (client.status && client.status !== 'active')) throw new TokenError('Invalid client');
  validateClientSecret(client, clientSecret);
  const membership = membershipsOf(services.repo, client)[0];
  if (!membership) throw new TokenError('Invalid client');
  const login = await createLogin(services, {
    user: createReference(client),
    client,
    authMethod: 'client',
    scope: form.scope || 'openid',
    allowRefresh: false,
    remoteAddress: clientAddress(c),
    ...(c.req.header('user-agent') ? { userAgent: c.req.header('user-agent') as string } : {}),
  });
  return updateLogin(services, login, {
    membership: createReference(membership),
    project: membership.project,
    granted: true,
  });
}

/**
 * As packages/server/src/oauth/token.ts (handleAuthorizationCode): neither `redirect_uri` nor a missing `client_id`
 * is checked at the exchange; a `client_id` that is sent must be the Login's client.
 */
export async function authorizationCode(endpoint: TokenEndpoint, c: Context, form: Form): Promise<WithId<Login>> {
  const { services } = endpoint;
  const { clientId, clientSecret } = await clientIdAndSecret(endpoint, c, form);
  if (!form.code) throw new TokenError('Missing code');
  const login = findLoginByCode(services, form.code);
  if (!login) throw new TokenError('Invalid code');
  if (clientId && login.client?.reference !== `ClientApplication/${clientId}`) throw new TokenError('Invalid client');
  if (!login.membership) throw new TokenError('Invalid profile');
  if (login.granted) {
    // A code works once; replaying it ends the session it created (Medplum revokes the Login).
    await updateLogin(services, login, { revoked: true });
    throw new TokenError('Token already granted', 'invalid_grant');
  }
  if (login.revoked) throw new TokenError('Token revoked', 'invalid_grant');

  const clientReference = clientId ?? login.client?.reference?.split('/')[1];
  const client = findClient(services.repo, clientReference);
  if (clientReference && !client) throw new TokenError('Invalid client');
  if (client?.pkceOptional) {
    if (clientSecret) validateClientSecret(client, clientSecret);
  } else {
    if (!login.codeChallenge) throw new TokenError('Missing verification context');
    if (!form.code_verifier) throw new TokenError('Missing code verifier');
    if (!verifyPkce(login, form.code_verifier)) throw new TokenError('Invalid code verifier');
  }
  return updateLogin(services, login, { granted: true });
}

function verifyPkce(login: Login, verifier: string): boolean {
  const challenge = login.codeChallenge as string;
  if (login.codeChallengeMethod === 'plain') return timingSafeEqualStrings(challenge, verifier);
  const hashed = createHash('sha256').update(verifier).digest('base64url');
  return timingSafeEqualStrings(challenge, hashed);
}

/** As packages/server/src/oauth/token.ts (exchangeExternalAuthToken), checks in Medplum's order. */
export async function tokenExchange(endpoint: TokenEndpoint, c: Context, form: Form): Promise<WithId<Login>> {
  const { services } = endpoint;
  if (!form.client_id) throw new TokenError('Invalid client');
  if (!form.subject_token) throw new TokenError('Invalid subject_token');
  if (form.subject_token_type !== ACCESS_TOKEN_TYPE) throw new TokenError('Invalid subject_token_type');
  const client = findClient(services.repo, form.client_id);
  const idp = client?.identityProvider;
  if (!client || !idp) throw new TokenError('Invalid client');
  if (!idp.userInfoUrl) throw new TokenError('Missing user info URL');

  const userInfo = await externalUserInfo(services, idp.userInfoUrl, form.subject_token);
  const projectId = clientProjectId(services.repo, client);
  let memberships: WithId<ProjectMembership>[];
  let user: WithId<User> | undefined;
  if (idp.useSubject) {
    memberships = services.repo
      .list<ProjectMembership>('ProjectMembership')
      .filter(
        (m) =>
          m.externalId &&
          m.externalId === userInfo.sub &&
          m.active !== false &&
          m.project?.reference === `Project/${projectId}`
      );
  } else {
    user = typeof userInfo.email === 'string' ? findUserByEmail(services.repo, userInfo.email) : undefined;
    memberships = user ? membershipsOf(services.repo, user, projectId) : [];
  }
  if (form.membership_id) memberships = memberships.filter((m) => m.id === form.membership_id);
  const membership = memberships[0];
  if (!membership?.user) throw new OperationOutcomeError(badRequest('User not found'));

  const login = await createLogin(services, {
    user: membership.user,
    client,
    authMethod: 'exchange',
    scope: form.scope || 'openid offline',
    ...(form.nonce ? { nonce: form.nonce } : {}),
    remoteAddress: clientAddress(c),
  });
  return updateLogin(services, login, {
    membership: createReference(membership),
    project: membership.project,
    granted: true,
  });
}

/** Medplum's getExternalUserInfo: JSON or a JWT (payload read, as Medplum reads it), anything else refused. */
async function externalUserInfo(
  services: EmulatorServices,
  url: string,
  subjectToken: string
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await services.fetch(url, {
      method: 'GET',
      headers: { Accept: 'application/json', Authorization: `Bearer ${subjectToken}` },
    });
  } catch {
    throw new TokenError('Failed to verify code - check your identity provider configuration');
  }
  if (response.status === 429) throw new TokenError('Too Many Requests', 'invalid_request', 429);
  if (response.status !== 200) {
    throw new TokenError('Failed to verify code - check your identity provider configuration');
  }
  const contentType = response.headers.get('content-type') ?? '';
  try {
    if (contentType.includes('application/json')) return (await response.json()) as Record<string, unknown>;
    if (contentType.includes('application/jwt')) return parseJWTPayload((await response.text()).trim());
  } catch {
    throw new TokenError('Failed to verify code - check your identity provider configuration');
  }
  throw new TokenError(`Failed to verify code - unsupported content type: ${contentType}`);
}

/**
 * The pre-authorized code grant (OAuthGrantType.PreAuthorizedCode), as packages/server/src/oauth/token.int.test.ts exercises it: the code is
 * stored only as its SHA-256 hash on the Login, expires at `expiresAt`, and works once.
 */
export async function preAuthorizedCode(endpoint: TokenEndpoint, form: Form): Promise<WithId<Login>> {
  const { services } = endpoint;
  if (!form.client_id) throw new TokenError('Missing client_id');
  const code = form['pre-authorized_code'];
  if (!code) throw new TokenError('Missing pre-authorized_code');
  const client = findClient(services.repo, form.client_id);
  if (!client) throw new TokenError('Invalid client', 'invalid_client');
  const hash = createHash('sha256').update(code).digest('hex');
  const login = services.repo
    .list<Login>('Login')
    .find(
      (candidate) =>
        candidate.preAuthorizedCodeHash === hash && candidate.client?.reference === `ClientApplication/${client.id}`
    );
  if (!login) throw new TokenError('Invalid pre-authorized_code');
  if (login.expiresAt && Date.parse(login.expiresAt) <= Date.now()) {
    throw new TokenError('Pre-authorized code expired', 'invalid_grant');
  }
  if (login.granted) throw new TokenError('Token already granted', 'invalid_grant');
  if (login.revoked) throw new TokenError('Token revoked', 'invalid_grant');
  return updateLogin(services, login, { granted: true });
}

import { createHash } from 'node:crypto';
import type { WithId } from '@medplum/core';
import { badRequest, createReference, OperationOutcomeError } from '@medplum/core';
import type { ClientApplication, Login, ProjectMembership, User } from '@medplum/fhirtypes';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { parseBasicCredentials, timingSafeEqualStrings } from '../auth/authenticate.ts';
import { clientProjectId, findClient, findUserByEmail, membershipsOf } from '../auth/directory.ts';
import { isFormBody, readForm } from '../http/body.ts';
import { clientAddress } from '../http/client-address.ts';
import type { EmulatorServices } from '../services.ts';
import { tokenUrl } from '../services.ts';
import { createLogin, findLoginByCode, issueTokens, randomSecret, updateLogin } from './logins.ts';

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'];

/** A token-endpoint failure: HTTP 400 (or the given status) `{error, error_description}`, never 401 (medplum-facts §4.4). */
class TokenError extends Error {
  readonly error: 'invalid_request' | 'invalid_grant';
  readonly status: 400 | 429;
  constructor(
    description: string,
    error: 'invalid_request' | 'invalid_grant' = 'invalid_request',
    status: 400 | 429 = 400
  ) {
    super(description);
    this.error = error;
    this.status = status;
  }
}

type Form = Record<string, string>;

/** `POST /oauth2/token` with Medplum's grants, client authentication methods and exact error bodies. */
export function tokenRoutes(services: EmulatorServices): Hono {
  const app = new Hono();
  const assertionKeySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  app.post('/oauth2/token', async (c) => {
    if (!isFormBody(c)) return c.text('Unsupported content type', 400);
    const form = await readForm(c);
    try {
      const login = await grant(c, form);
      return c.json(await issueTokens(services, login));
    } catch (error) {
      if (error instanceof TokenError) {
        return c.json({ error: error.error, error_description: error.message }, error.status);
      }
      throw error;
    }
  });

  async function grant(c: Context, form: Form): Promise<WithId<Login>> {
    switch (form.grant_type) {
      case undefined:
      case '':
        throw new TokenError('Missing grant_type');
      case 'client_credentials':
        return clientCredentials(c, form);
      case 'authorization_code':
        return authorizationCode(c, form);
      case 'refresh_token':
        return refreshToken(c, form);
      case TOKEN_EXCHANGE:
        return tokenExchange(c, form);
      default:
        // jwt-bearer included: Medplum does not support it.
        throw new TokenError('Unsupported grant_type');
    }
  }

  /** Medplum's getClientIdAndSecret: client assertion, then the Basic header, then the form fields. */
  async function clientIdAndSecret(c: Context, form: Form): Promise<{ clientId?: string; clientSecret?: string }> {
    if (form.client_assertion_type) {
      if (form.client_assertion_type !== CLIENT_ASSERTION_TYPE)
        throw new TokenError('Unsupported client assertion type');
      return verifyClientAssertion(form.client_assertion ?? '');
    }
    const authorization = c.req.header('authorization');
    if (authorization) {
      if (!authorization.startsWith('Basic ')) throw new TokenError('Invalid authorization header');
      const [clientId, clientSecret] = parseBasicCredentials(authorization.slice(6).trim());
      return { clientId, clientSecret };
    }
    return { clientId: form.client_id || undefined, clientSecret: form.client_secret || undefined };
  }

  async function verifyClientAssertion(assertion: string): Promise<{ clientId?: string; clientSecret?: string }> {
    let claims: ReturnType<typeof decodeJwt>;
    try {
      claims = decodeJwt(assertion);
    } catch {
      throw new TokenError('Invalid client assertion');
    }
    const audience = tokenUrl(services);
    if (claims.aud !== audience && !(Array.isArray(claims.aud) && claims.aud.includes(audience))) {
      throw new TokenError('Invalid client assertion audience');
    }
    if (!claims.iss || claims.iss !== claims.sub) throw new TokenError('Invalid client assertion issuer');
    const client = findClient(services.repo, claims.iss);
    if (!client) throw new TokenError('Client not found');
    if (!client.jwksUri) throw new TokenError('Client must have a JWK Set URL');
    let keySet = assertionKeySets.get(client.jwksUri);
    if (!keySet) {
      keySet = createRemoteJWKSet(new URL(client.jwksUri));
      assertionKeySets.set(client.jwksUri, keySet);
    }
    try {
      await jwtVerify(assertion, keySet, { issuer: client.id, audience, algorithms: ASSERTION_ALGORITHMS });
    } catch {
      throw new TokenError('Invalid client assertion signature');
    }
    // As Medplum 5.x does, the verified client then goes through the secret check with its own stored secret.
    return { clientId: client.id, clientSecret: client.secret };
  }

  async function clientCredentials(c: Context, form: Form): Promise<WithId<Login>> {
    const { clientId, clientSecret } = await clientIdAndSecret(c, form);
    if (!clientId) throw new TokenError('Missing client_id');
    if (!clientSecret) throw new TokenError('Missing client_secret');
    const client = findClient(services.repo, clientId);
    if (!client || (client.status !== undefined && client.status !== 'active')) throw new TokenError('Invalid client');
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

  async function authorizationCode(c: Context, form: Form): Promise<WithId<Login>> {
    const { clientId, clientSecret } = await clientIdAndSecret(c, form);
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

    const client = findClient(services.repo, login.client?.reference?.split('/')[1]);
    if (client?.pkceOptional) {
      if (clientSecret) validateClientSecret(client, clientSecret);
    } else {
      if (!login.codeChallenge) throw new TokenError('Missing verification context');
      if (!form.code_verifier) throw new TokenError('Missing code verifier');
      if (!verifyPkce(login, form.code_verifier)) throw new TokenError('Invalid code verifier');
    }
    return updateLogin(services, login, { granted: true });
  }

  async function refreshToken(c: Context, form: Form): Promise<WithId<Login>> {
    let claims: Record<string, unknown> | undefined;
    try {
      claims = form.refresh_token ? await services.keys.verify(form.refresh_token, services.baseUrl) : undefined;
    } catch {
      claims = undefined;
    }
    const login = typeof claims?.login_id === 'string' ? findLoginById(claims.login_id) : undefined;
    if (!claims || !login?.refreshSecret) throw new TokenError('Invalid refresh token');
    if (login.revoked) throw new TokenError('Token revoked', 'invalid_grant');
    const authorization = c.req.header('authorization');
    if (authorization?.startsWith('Basic ')) {
      const [clientId, clientSecret] = parseBasicCredentials(authorization.slice(6).trim());
      if (login.client?.reference !== `ClientApplication/${clientId}`)
        throw new TokenError('Incorrect client', 'invalid_grant');
      if (!clientSecret) throw new TokenError('Incorrect client secret', 'invalid_grant');
    }
    if (
      typeof claims.refresh_secret !== 'string' ||
      !timingSafeEqualStrings(login.refreshSecret, claims.refresh_secret)
    ) {
      throw new TokenError('Invalid token');
    }
    // Rotation: the token just used stops working.
    return updateLogin(services, login, { refreshSecret: randomSecret() });
  }

  async function tokenExchange(c: Context, form: Form): Promise<WithId<Login>> {
    const client = findClient(services.repo, form.client_id);
    if (!form.client_id || !client) throw new TokenError('Invalid client');
    if (!form.subject_token) throw new TokenError('Invalid subject_token');
    if (form.subject_token_type !== ACCESS_TOKEN_TYPE) throw new TokenError('Invalid subject_token_type');
    const idp = client.identityProvider;
    if (!idp?.userInfoUrl) throw new TokenError('Invalid client');

    const response = await services.fetch(idp.userInfoUrl, {
      headers: { Authorization: `Bearer ${form.subject_token}`, Accept: 'application/json' },
    });
    if (response.status === 429) throw new TokenError('Too many requests', 'invalid_request', 429);
    if (response.status !== 200) {
      throw new TokenError('Failed to verify code - check your identity provider configuration');
    }
    const text = await response.text();
    const userInfo = (text.trim().startsWith('{') ? JSON.parse(text) : decodeJwt(text.trim())) as Record<
      string,
      unknown
    >;

    const projectId = clientProjectId(services.repo, client);
    let memberships: WithId<ProjectMembership>[];
    let user: WithId<User> | undefined;
    if (idp.useSubject) {
      memberships = services.repo
        .list<ProjectMembership>('ProjectMembership')
        .filter(
          (m) => m.externalId && m.externalId === userInfo.sub && m.project?.reference === `Project/${projectId}`
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

  function findLoginById(id: string): WithId<Login> | undefined {
    return services.repo.list<Login>('Login').find((login) => login.id === id);
  }

  return app;
}

/** Constant-time against `secret`, then `retiringSecret` (either works during rotation at the token endpoint). */
function validateClientSecret(client: ClientApplication, secret: string): void {
  if (!client.secret) throw new TokenError('Invalid client');
  const matches =
    timingSafeEqualStrings(client.secret, secret) ||
    (client.retiringSecret !== undefined && timingSafeEqualStrings(client.retiringSecret, secret));
  if (!matches) throw new TokenError('Invalid secret');
}

function verifyPkce(login: Login, verifier: string): boolean {
  const challenge = login.codeChallenge as string;
  if (login.codeChallengeMethod === 'plain') return timingSafeEqualStrings(challenge, verifier);
  const hashed = createHash('sha256').update(verifier).digest('base64url');
  return timingSafeEqualStrings(challenge, hashed);
}

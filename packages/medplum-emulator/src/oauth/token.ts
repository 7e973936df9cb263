import { createHash, X509Certificate } from 'node:crypto';
import type { WithId } from '@medplum/core';
import { badRequest, createReference, OperationOutcomeError, parseJWTPayload } from '@medplum/core';
import type { ClientApplication, Login, ProjectMembership, User } from '@medplum/fhirtypes';
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { CryptoKey as JoseKey, JWTVerifyOptions } from 'jose';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { parseBasicCredentials, timingSafeEqualStrings } from '../access/authenticate.ts';
import { clientProjectId, findClient, findMembership, findUserByEmail, membershipsOf } from '../access/directory.ts';
import { isFormBody, readForm } from '../http/body.ts';
import { clientAddress } from '../http/client-address.ts';
import type { EmulatorServices } from '../services.ts';
import { tokenUrl } from '../services.ts';
import { createLogin, findLogin, findLoginByCode, issueTokens, randomSecret, updateLogin } from './logins.ts';

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const PRE_AUTHORIZED_CODE = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'];
const MTLS_CERT_HEADER = 'x-mtls-cert';

/**
 * How long after a rotation the refresh token just replaced still works (a retried or concurrent refresh), answering
 * tokens for the current secret without rotating again: packages/server/src/oauth/refresh-token-grant.test.ts ("Retry
 * with the previous token within the grace period…", "Concurrent refreshes…"). The length is not in the Medplum source
 * read here; that test ends the grace period by moving `refreshSecretRotatedAt` 60 s back, so it is shorter than that.
 */
export const REFRESH_GRACE_PERIOD_MS = 10_000;

type TokenErrorCode = 'invalid_request' | 'invalid_grant' | 'invalid_client' | 'access_denied';

/**
 * A token-endpoint failure: `{error, error_description}` with HTTP 400 (429 when the identity provider throttles a token
 * exchange), as packages/server/src/oauth/token.ts `sendTokenError` answers; never 401.
 */
class TokenError extends Error {
  readonly error: TokenErrorCode;
  readonly status: 400 | 429;
  constructor(description: string, error: TokenErrorCode = 'invalid_request', status: 400 | 429 = 400) {
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
  /** One refresh at a time per Login, so concurrent refreshes see each other's rotation (Medplum: a transaction). */
  const refreshQueues = new Map<string, Promise<unknown>>();

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
        return serializedRefresh(c, form);
      case TOKEN_EXCHANGE:
        return tokenExchange(c, form);
      case PRE_AUTHORIZED_CODE:
        return preAuthorizedCode(form);
      default:
        // jwt-bearer included: Medplum does not support it.
        throw new TokenError('Unsupported grant_type');
    }
  }

  /** Medplum's getClientIdAndSecret: client assertion, then an mTLS certificate, then the Basic header, then the form. */
  async function clientIdAndSecret(c: Context, form: Form): Promise<{ clientId?: string; clientSecret?: string }> {
    if (form.client_assertion_type) {
      if (form.client_assertion_type !== CLIENT_ASSERTION_TYPE)
        throw new TokenError('Unsupported client assertion type');
      return verifyClientAssertion(form.client_assertion ?? '');
    }
    const certificate = c.req.header(MTLS_CERT_HEADER);
    if (certificate) return verifyClientCertificate(form.client_id, certificate);
    const authorization = c.req.header('authorization');
    if (authorization) {
      if (!authorization.startsWith('Basic ')) throw new TokenError('Invalid authorization header');
      const [clientId, clientSecret] = parseBasicCredentials(authorization.split(' ')[1] ?? '');
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
    if (claims.aud !== audience) throw new TokenError('Invalid client assertion audience');
    if (claims.iss !== claims.sub) throw new TokenError('Invalid client assertion issuer');
    const client = findClient(services.repo, claims.iss);
    if (!client) throw new TokenError('Client not found');
    if (!client.jwksUri) throw new TokenError('Client must have a JWK Set URL');
    let keySet = assertionKeySets.get(client.jwksUri);
    if (!keySet) {
      keySet = createRemoteJWKSet(new URL(client.jwksUri));
      assertionKeySets.set(client.jwksUri, keySet);
    }
    const options: JWTVerifyOptions = { issuer: client.id, audience, algorithms: ASSERTION_ALGORITHMS };
    try {
      await jwtVerify(assertion, keySet, options);
    } catch (error) {
      // As packages/server/src/oauth/token.ts (verifyMultipleMatchingException): when several keys of the set match,
      // each is tried and the first that verifies wins.
      if (!(await verifiesWithAnyMatchingKey(error, assertion, options))) {
        throw new TokenError('Invalid client assertion signature');
      }
    }
    // The verified client then goes through the secret check with its own stored secret, as in Medplum.
    return { clientId: client.id, clientSecret: client.secret };
  }

  /** Mutual TLS as packages/server/src/oauth/cert.ts validates it: the certificate arrives URL-encoded in a header. */
  function verifyClientCertificate(
    clientId: string | undefined,
    encoded: string
  ): { clientId?: string; clientSecret?: string } {
    const client = findClient(services.repo, clientId);
    if (!client) throw new TokenError('Error reading client: Not found');
    if (!client.certificateTrustStore) {
      throw new TokenError('Client does not have a configured certificate trust store');
    }
    try {
      validateClientCertificate(decodeURIComponent(encoded), client.certificateTrustStore);
    } catch (error) {
      throw new TokenError((error as Error).message);
    }
    return { clientId: client.id, clientSecret: client.secret };
  }

  async function clientCredentials(c: Context, form: Form): Promise<WithId<Login>> {
    const { clientId, clientSecret } = await clientIdAndSecret(c, form);
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

  async function serializedRefresh(c: Context, form: Form): Promise<WithId<Login>> {
    const loginId = refreshLoginId(form.refresh_token);
    if (!loginId) return refreshToken(c, form);
    const previous = refreshQueues.get(loginId) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(() => refreshToken(c, form));
    refreshQueues.set(loginId, current);
    try {
      return await current;
    } finally {
      if (refreshQueues.get(loginId) === current) refreshQueues.delete(loginId);
    }
  }

  /**
   * As packages/server/src/oauth/token.ts (handleRefreshToken) and oauth/refresh-token-grant.test.ts: only a verified token
   * that carries a `refresh_secret` is a refresh token; the current secret rotates; the secret just replaced still works
   * for a short grace period (no second rotation); after that, presenting it again revokes the Login.
   */
  async function refreshToken(c: Context, form: Form): Promise<WithId<Login>> {
    let claims: Record<string, unknown> | undefined;
    try {
      claims = form.refresh_token ? await services.keys.verify(form.refresh_token, services.baseUrl) : undefined;
    } catch {
      claims = undefined;
    }
    if (!claims) throw new TokenError('Invalid refresh token');
    const login = typeof claims.login_id === 'string' ? findLogin(services, claims.login_id) : undefined;
    const presented = claims.refresh_secret;
    if (!login || login.refreshSecret === undefined || typeof presented !== 'string' || !presented) {
      throw new TokenError('Invalid refresh token');
    }
    if (login.revoked) throw new TokenError('Token revoked', 'invalid_grant');

    let rotate: boolean;
    if (timingSafeEqualStrings(login.refreshSecret, presented)) {
      rotate = true;
    } else if (login.previousRefreshSecret && timingSafeEqualStrings(login.previousRefreshSecret, presented)) {
      const rotatedAt = login.refreshSecretRotatedAt ? Date.parse(login.refreshSecretRotatedAt) : 0;
      if (Date.now() - rotatedAt > REFRESH_GRACE_PERIOD_MS) {
        // Reuse of a rotated token: someone else holds the chain. End the session and all of its tokens.
        await updateLogin(services, login, { revoked: true });
        throw new TokenError('Token revoked', 'invalid_grant');
      }
      rotate = false;
    } else {
      throw new TokenError('Invalid token');
    }

    const authorization = c.req.header('authorization');
    if (authorization) {
      if (!authorization.startsWith('Basic ')) throw new TokenError('Invalid authorization header');
      const [clientId, clientSecret] = parseBasicCredentials(authorization.split(' ')[1] ?? '');
      if (clientId !== login.client?.reference?.split('/')[1])
        throw new TokenError('Incorrect client', 'invalid_grant');
      if (!clientSecret) throw new TokenError('Incorrect client secret', 'invalid_grant');
      // As packages/server/src/oauth/token.int.test.ts ("Refresh token Basic auth failure incorrect secret").
      validateClientSecret(findClient(services.repo, clientId), clientSecret);
    }
    if (login.client && !findClient(services.repo, login.client.reference?.split('/')[1])) {
      throw new TokenError('Invalid client');
    }
    const membership = findMembership(services.repo, login.membership?.reference?.split('/')[1]);
    if (membership?.active === false) throw new TokenError('Profile not active', 'access_denied');

    if (!rotate) return login;
    return updateLogin(services, login, {
      refreshSecret: randomSecret(),
      previousRefreshSecret: login.refreshSecret,
      refreshSecretRotatedAt: new Date().toISOString(),
      remoteAddress: clientAddress(c),
      ...(c.req.header('user-agent') ? { userAgent: c.req.header('user-agent') as string } : {}),
    });
  }

  /** As packages/server/src/oauth/token.ts (exchangeExternalAuthToken), checks in Medplum's order. */
  async function tokenExchange(c: Context, form: Form): Promise<WithId<Login>> {
    if (!form.client_id) throw new TokenError('Invalid client');
    if (!form.subject_token) throw new TokenError('Invalid subject_token');
    if (form.subject_token_type !== ACCESS_TOKEN_TYPE) throw new TokenError('Invalid subject_token_type');
    const client = findClient(services.repo, form.client_id);
    const idp = client?.identityProvider;
    if (!client || !idp) throw new TokenError('Invalid client');
    if (!idp.userInfoUrl) throw new TokenError('Missing user info URL');

    const userInfo = await externalUserInfo(idp.userInfoUrl, form.subject_token);
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
  async function externalUserInfo(url: string, subjectToken: string): Promise<Record<string, unknown>> {
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
  async function preAuthorizedCode(form: Form): Promise<WithId<Login>> {
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

  return app;
}

/** The `login_id` of a refresh token, read without verification (only to queue refreshes of one Login). */
function refreshLoginId(token: string | undefined): string | undefined {
  if (!token) return undefined;
  try {
    const id = decodeJwt(token).login_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** jose's JWKSMultipleMatchingKeys error iterates the candidate keys. */
async function verifiesWithAnyMatchingKey(
  error: unknown,
  assertion: string,
  options: JWTVerifyOptions
): Promise<boolean> {
  if ((error as { code?: string } | undefined)?.code !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') return false;
  for await (const key of error as AsyncIterable<JoseKey>) {
    try {
      await jwtVerify(assertion, key, options);
      return true;
    } catch {
      // try the next matching key
    }
  }
  return false;
}

/**
 * As packages/server/src/oauth/token.ts (validateClientIdAndSecret): constant-time against `secret`, then
 * `retiringSecret` (either works during rotation at the token endpoint); a client without a secret is "Invalid client".
 */
function validateClientSecret(client: ClientApplication | undefined, secret: string): void {
  if (!client?.secret) throw new TokenError('Invalid client');
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

/** packages/server/src/oauth/cert.ts validateClientCert: expiry, then trust (self-signed: listed; else a listed CA). */
function validateClientCertificate(clientPem: string, trustedPems: string): void {
  const [first] = splitPemCertificates(clientPem);
  const clientCert = new X509Certificate(first as string);
  const trusted = splitPemCertificates(trustedPems).map((pem) => new X509Certificate(pem));
  const now = new Date();
  const validFrom = new Date(clientCert.validFrom);
  if (now < validFrom) throw new Error(`Certificate not yet active. Valid from: ${validFrom.toISOString()}`);
  const validTo = new Date(clientCert.validTo);
  if (now > validTo) throw new Error(`Certificate expired on: ${validTo.toISOString()}`);
  if (clientCert.issuer === clientCert.subject) {
    if (!trusted.some((cert) => cert.fingerprint256 === clientCert.fingerprint256)) {
      throw new Error('Self-signed certificate is not in the trusted certificate list');
    }
    if (!clientCert.verify(clientCert.publicKey)) throw new Error('Self-signed certificate has invalid signature');
    return;
  }
  let lastError: string | undefined;
  for (const ca of trusted) {
    try {
      if (clientCert.checkIssued(ca) && clientCert.verify(ca.publicKey)) return;
    } catch (error) {
      lastError = (error as Error).message;
    }
  }
  throw new Error(`Certificate validation failed: ${lastError ?? 'No matching CA found'}`);
}

function splitPemCertificates(pem: string): string[] {
  const found = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (found.length === 0) throw new Error('No valid PEM certificates found');
  return found;
}

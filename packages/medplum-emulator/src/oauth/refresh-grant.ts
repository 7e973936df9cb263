import type { WithId } from '@medplum/core';
import type { Login } from '@medplum/fhirtypes';
import type { Context } from 'hono';
import { decodeJwt } from 'jose';
import { parseBasicCredentials, timingSafeEqualStrings } from '../access/authenticate.ts';
import { findClient, findMembership } from '../access/directory.ts';
import { clientAddress } from '../http/client-address.ts';
import type { EmulatorServices } from '../services.ts';
import { validateClientSecret } from './client-auth.ts';
import { findLogin, randomSecret, updateLogin } from './logins.ts';
import type { Form, TokenEndpoint } from './token-types.ts';
import { TokenError } from './token-types.ts';

/**
 * How long after a rotation the refresh token just replaced still works (a retried or concurrent refresh), answering
 * tokens for the current secret without rotating again: packages/server/src/oauth/refresh-token-grant.test.ts ("Retry
 * with the previous token within the grace period…", "Concurrent refreshes…"). The length is not in the Medplum source
 * read here; that test ends the grace period by moving `refreshSecretRotatedAt` 60 s back, so it is shorter than that.
 */
export const REFRESH_GRACE_PERIOD_MS = 10_000;

/** The refresh_token grant, one at a time per Login. */
export async function serializedRefresh(endpoint: TokenEndpoint, c: Context, form: Form): Promise<WithId<Login>> {
  const loginId = refreshLoginId(form.refresh_token);
  if (!loginId) return refreshToken(endpoint.services, c, form);
  const previous = endpoint.refreshQueues.get(loginId) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(() => refreshToken(endpoint.services, c, form));
  endpoint.refreshQueues.set(loginId, current);
  try {
    return await current;
  } finally {
    if (endpoint.refreshQueues.get(loginId) === current) endpoint.refreshQueues.delete(loginId);
  }
}

/**
 * As packages/server/src/oauth/token.ts (handleRefreshToken) and oauth/refresh-token-grant.test.ts: only a verified token
 * that carries a `refresh_secret` is a refresh token; the current secret rotates; the secret just replaced still works
 * for a short grace period (no second rotation); after that, presenting it again revokes the Login.
 */
async function refreshToken(services: EmulatorServices, c: Context, form: Form): Promise<WithId<Login>> {
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
    if (clientId !== login.client?.reference?.split('/')[1]) throw new TokenError('Incorrect client', 'invalid_grant');
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

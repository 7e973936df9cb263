import type { WithId } from '@medplum/core';
import { normalizeErrorString, OperationOutcomeError } from '@medplum/core';
import type { ClientApplication, Login, ProjectMembership } from '@medplum/fhirtypes';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { findClient, membershipsOf } from '../access/directory.ts';
import { isFormBody, readForm } from '../http/body.ts';
import { clientAddress } from '../http/client-address.ts';
import { loginResult, passwordLogin } from '../login/login-flow.ts';
import type { EmulatorServices } from '../services.ts';
import { findLogin, randomSecret, setLoginMembership, updateLogin } from './logins.ts';
import { signInPage } from './sign-in-page.ts';

type Params = Record<string, string>;

const DEFAULT_MAX_AGE_SECONDS = 3600;

/**
 * `GET|POST /oauth2/authorize`, as packages/server/src/oauth/authorize.ts: an unknown client or a redirect URI the
 * client does not register is a plain-text 400; every other invalid request is redirected to the redirect URI with
 * `error` and `state`. A still-valid session (the `medplum-<clientId>` cookie, or `id_token_hint`) gets a code at once
 * unless `prompt=login`; `prompt=none` without one is `login_required`. Everything else is a 302 to the sign-in page
 * with the request's parameters, as Medplum sends the browser to its app's `/oauth` page; the emulator's own page lives
 * at `/oauth2/sign-in` and posts back there, then redirects with `?code=&state=`.
 */
export function authorizeRoutes(services: EmulatorServices): Hono {
  const app = new Hono();

  app.on(['GET', 'POST'], '/oauth2/authorize', async (c) => {
    const params = await readParams(c);
    const checked = checkClientAndRedirect(services, params);
    if ('failure' in checked) return c.text(checked.failure, 400);
    const { client, redirectUri } = checked;

    const failure = validateAuthorizeRequest(services, client, params);
    if (failure) return redirectWithError(c, redirectUri, params.state, failure.error, failure.description);

    const existing = await existingLogin(services, c, client, params);
    if (params.prompt === 'none' && !existing) {
      return redirectWithError(c, redirectUri, params.state, 'login_required', 'Login required');
    }
    if (params.prompt !== 'login' && existing) {
      const refreshed = await updateLogin(services, existing, {
        code: randomSecret(),
        granted: false,
        nonce: params.nonce || crypto.randomUUID(),
        ...(params.code_challenge ? { codeChallenge: params.code_challenge } : {}),
        ...(params.code_challenge_method
          ? { codeChallengeMethod: params.code_challenge_method as Login['codeChallengeMethod'] }
          : {}),
      });
      return redirectWithCode(c, redirectUri, refreshed.code as string, params.state);
    }
    const signIn = new URL(`${services.baseUrl}oauth2/sign-in`);
    for (const [name, value] of Object.entries(params)) signIn.searchParams.set(name, value);
    return c.redirect(signIn.toString(), 302);
  });

  app.get('/oauth2/sign-in', async (c) => {
    const params = await readParams(c);
    const checked = checkClientAndRedirect(services, params);
    if ('failure' in checked) return c.text(checked.failure, 400);
    if (validateAuthorizeRequest(services, checked.client, params)) return c.text('Invalid authorization request', 400);
    c.header('Content-Security-Policy', signInPagePolicy(checked.redirectUri));
    return c.html(signInPage(params, checked.client.name ?? checked.client.id));
  });

  app.post('/oauth2/sign-in', async (c) => {
    const params = await readParams(c);
    const checked = checkClientAndRedirect(services, params);
    if ('failure' in checked) return c.text(checked.failure, 400);
    const { client, redirectUri } = checked;
    if (validateAuthorizeRequest(services, client, params)) return c.text('Invalid authorization request', 400);
    try {
      const { login, projectId } = await passwordLogin(services, params.email ?? '', params.password ?? '', {
        clientId: client.id,
        scope: params.scope || client.defaultScope?.join(' ') || 'openid',
        ...(params.nonce ? { nonce: params.nonce } : {}),
        ...(params.code_challenge ? { codeChallenge: params.code_challenge } : {}),
        ...(params.code_challenge_method ? { codeChallengeMethod: params.code_challenge_method } : {}),
        remoteAddress: clientAddress(c),
        ...(c.req.header('user-agent') ? { userAgent: c.req.header('user-agent') as string } : {}),
      });
      let { result, login: updated } = await loginResult(services, login, projectId);
      if (!result.code) {
        // Several memberships: Medplum's page would ask; this page takes the first one in the client's project.
        const membership = membershipsOf(services.repo, login.user, projectId)[0] as WithId<ProjectMembership>;
        updated = await setLoginMembership(services, login, membership);
      }
      const clientId = updated.client?.reference?.split('/')[1];
      if (clientId && updated.cookie) {
        c.header(
          'Set-Cookie',
          `medplum-${clientId}=${updated.cookie}; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=None`
        );
      }
      return redirectWithCode(c, redirectUri, updated.code as string, params.state);
    } catch (error) {
      const message = error instanceof OperationOutcomeError ? normalizeErrorString(error) : 'Sign-in failed';
      c.header('Content-Security-Policy', signInPagePolicy(redirectUri));
      return c.html(signInPage(params, client.name ?? client.id, message), 400);
    }
  });

  return app;
}

/**
 * The sign-in page is the one HTML form the API serves (Medplum serves it from its web app instead), so it replaces the
 * API's block-everything policy with the least it needs: its inline styles, and a form that may post here and be
 * redirected to the client's registered redirect URI (form-action also governs that redirect).
 */
function signInPagePolicy(redirectUri: string): string {
  return `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${new URL(redirectUri).origin}; base-uri 'none'; frame-ancestors 'none';`;
}

async function readParams(c: Context): Promise<Params> {
  if (c.req.method === 'POST') return isFormBody(c) ? readForm(c) : {};
  return Object.fromEntries(new URL(c.req.url).searchParams.entries());
}

function checkClientAndRedirect(
  services: EmulatorServices,
  params: Params
): { client: WithId<ClientApplication>; redirectUri: string } | { failure: string } {
  const client = findClient(services.repo, params.client_id);
  if (!client) return { failure: 'Client not found' };
  if (!params.redirect_uri) return { failure: 'Missing redirect URI' };
  try {
    new URL(params.redirect_uri);
  } catch {
    return { failure: 'Invalid redirect URI' };
  }
  const allowed = [...(client.redirectUris ?? []), ...(client.redirectUri ? [client.redirectUri] : [])];
  if (!allowed.includes(params.redirect_uri)) return { failure: 'Invalid redirect URI' };
  return { client, redirectUri: params.redirect_uri };
}

function validateAuthorizeRequest(
  services: EmulatorServices,
  client: ClientApplication,
  params: Params
): { error: string; description: string } | undefined {
  if (!params.scope && !client.defaultScope?.length) return { error: 'invalid_request', description: 'Missing scope' };
  if (params.response_type !== 'code') {
    return { error: 'unsupported_response_type', description: 'Unsupported response type' };
  }
  if (params.request) return { error: 'request_not_supported', description: 'Request object not supported' };
  if (params.aud) {
    const base = new URL(services.baseUrl);
    let aud: URL | undefined;
    try {
      aud = new URL(params.aud);
    } catch {
      aud = undefined;
    }
    if (!aud || aud.protocol !== base.protocol || aud.host !== base.host) {
      return { error: 'invalid_request', description: 'Invalid audience' };
    }
  }
  if (params.code_challenge && !params.code_challenge_method) {
    return { error: 'invalid_request', description: 'Invalid code challenge method' };
  }
  if (params.launch) return { error: 'invalid_request', description: 'Invalid launch' };
  return undefined;
}

/**
 * The session to reuse, as packages/server/src/oauth/authorize.ts getExistingLogin: the Login named by a valid
 * `id_token_hint`, else the granted, unrevoked Login carrying this browser's `medplum-<clientId>` cookie; either only
 * while younger than `max_age` (default 3600 s).
 */
async function existingLogin(
  services: EmulatorServices,
  c: Context,
  client: WithId<ClientApplication>,
  params: Params
): Promise<WithId<Login> | undefined> {
  const login = (await loginFromIdTokenHint(services, params.id_token_hint)) ?? loginFromCookie(services, c, client);
  if (!login) return undefined;
  const maxAgeSeconds = params.max_age ? Number.parseInt(params.max_age, 10) : DEFAULT_MAX_AGE_SECONDS;
  const ageSeconds = (Date.now() - new Date(login.authTime).getTime()) / 1000;
  return ageSeconds > maxAgeSeconds ? undefined : login;
}

async function loginFromIdTokenHint(
  services: EmulatorServices,
  hint: string | undefined
): Promise<WithId<Login> | undefined> {
  if (!hint) return undefined;
  let claims: Record<string, unknown>;
  try {
    claims = await services.keys.verify(hint, services.baseUrl);
  } catch {
    return undefined;
  }
  return typeof claims.login_id === 'string' ? findLogin(services, claims.login_id) : undefined;
}

function loginFromCookie(
  services: EmulatorServices,
  c: Context,
  client: WithId<ClientApplication>
): WithId<Login> | undefined {
  const cookie = getCookie(c, `medplum-${client.id}`);
  if (!cookie) return undefined;
  const login = services.repo.list<Login>('Login').find((candidate) => candidate.cookie === cookie);
  return login?.granted && !login.revoked ? login : undefined;
}

function redirectWithCode(c: Context, redirectUri: string, code: string, state: string | undefined): Response {
  const url = new URL(redirectUri);
  url.searchParams.set('code', code);
  if (state) url.searchParams.set('state', state);
  return c.redirect(url.toString(), 302);
}

function redirectWithError(
  c: Context,
  redirectUri: string,
  state: string | undefined,
  error: string,
  description: string
): Response {
  const url = new URL(redirectUri);
  url.searchParams.set('error', error);
  url.searchParams.set('error_description', description);
  if (state) url.searchParams.set('state', state);
  return c.redirect(url.toString(), 302);
}

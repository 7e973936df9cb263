import type { WithId } from '@medplum/core';
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type {
  ClientApplication,
  DomainConfiguration,
  IdentityProvider,
  ProjectMembership,
  User,
} from '@medplum/fhirtypes';
import type { Handler } from 'hono';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { setLoginMembership } from '../oauth/logins.ts';
import type { EmulatorServices } from '../services.ts';
import { clientProjectId, findClient, findUserByEmail, membershipsOf } from './directory.ts';
import { startLogin } from './login-flow.ts';

/** What `signInWithExternalAuth` puts in `state`: the Medplum login request (projectId, clientId, PKCE, redirectUri, ...). */
interface ExternalState {
  clientId?: string;
  projectId?: string;
  domain?: string;
  scope?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  redirectUri?: string;
}

/**
 * `GET /auth/external?code=&state=` (medplum-facts §7.2): exchanges the identity provider's code at its token endpoint,
 * reads the id_token (verified against `jwksUrl` when set), finds the User by email, starts a Login and redirects to the
 * client's redirect URI with `?login=&code=`, so the app finishes with `processCode` and its own PKCE verifier.
 */
export function externalAuthRoute(services: EmulatorServices): Handler {
  return async (c) => {
    const code = c.req.query('code');
    const stateText = c.req.query('state');
    if (!code) throw new OperationOutcomeError(badRequest('Missing code'));
    if (!stateText) throw new OperationOutcomeError(badRequest('Missing state'));
    let state: ExternalState;
    try {
      state = JSON.parse(stateText) as ExternalState;
    } catch {
      throw new OperationOutcomeError(badRequest('Invalid state'));
    }

    const client = findClient(services.repo, state.clientId);
    const idp = client?.identityProvider ?? domainIdentityProvider(services, state.domain);
    if (!idp) throw new OperationOutcomeError(badRequest('Identity provider not found'));

    const idToken = await exchangeCode(services, idp, code, state);
    const claims = await readIdToken(idp, idToken);
    const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : undefined;
    if (!email) throw new OperationOutcomeError(badRequest('Email address not found in the identity provider token'));
    if (state.domain && !email.endsWith(`@${state.domain.toLowerCase()}`)) {
      throw new OperationOutcomeError(badRequest('Email address does not match domain'));
    }
    const user = findUserByEmail(services.repo, email);
    if (!user) throw new OperationOutcomeError(badRequest('User not found'));

    const projectId = client ? clientProjectId(services.repo, client) : state.projectId;
    const login = await startLogin(
      services,
      user as WithId<User>,
      'external',
      {
        ...(projectId ? { projectId } : {}),
        scope: state.scope ?? 'openid offline_access',
        ...(state.nonce ? { nonce: state.nonce } : {}),
        ...(state.codeChallenge ? { codeChallenge: state.codeChallenge } : {}),
        ...(state.codeChallengeMethod ? { codeChallengeMethod: state.codeChallengeMethod } : {}),
      },
      client
    );
    const memberships = membershipsOf(services.repo, user, projectId);
    const redirectUri = client && state.redirectUri ? matchingRedirectUri(client, state.redirectUri) : undefined;
    if (memberships.length !== 1 || !redirectUri) {
      // Medplum would send the browser to its own app's sign-in page here; the emulator has none.
      throw new OperationOutcomeError(
        badRequest(
          'The emulator finishes external sign-in only for a ClientApplication with one membership per user and a redirectUri in the login request (state) that exactly matches one of its redirectUris'
        )
      );
    }
    const granted = await setLoginMembership(services, login, memberships[0] as WithId<ProjectMembership>);
    const target = new URL(redirectUri);
    target.searchParams.set('login', granted.id);
    target.searchParams.set('code', granted.code as string);
    return c.redirect(target.toString(), 302);
  };
}

function domainIdentityProvider(services: EmulatorServices, domain: string | undefined): IdentityProvider | undefined {
  if (!domain) return undefined;
  return services.repo
    .list<DomainConfiguration>('DomainConfiguration')
    .find((config) => config.domain.toLowerCase() === domain.toLowerCase())?.identityProvider;
}

function matchingRedirectUri(client: ClientApplication, requested: string): string | undefined {
  const allowed = [...(client.redirectUris ?? []), ...(client.redirectUri ? [client.redirectUri] : [])];
  return allowed.includes(requested) ? requested : undefined;
}

async function exchangeCode(
  services: EmulatorServices,
  idp: IdentityProvider,
  code: string,
  state: ExternalState
): Promise<string> {
  if (!idp.tokenUrl) throw new OperationOutcomeError(badRequest('Identity provider has no tokenUrl'));
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    redirect_uri: `${services.baseUrl}auth/external`,
    code,
  });
  // Medplum sends the state's codeChallenge as the verifier (medplum-facts §7.2 step 4).
  if (idp.usePkce && state.codeChallenge) form.set('code_verifier', state.codeChallenge);
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json',
  };
  if (idp.tokenAuthMethod === 'client_secret_post') {
    form.set('client_id', idp.clientId ?? '');
    form.set('client_secret', idp.clientSecret ?? '');
  } else {
    headers.Authorization = `Basic ${Buffer.from(`${idp.clientId ?? ''}:${idp.clientSecret ?? ''}`).toString('base64')}`;
  }
  const response = await services.fetch(idp.tokenUrl, { method: 'POST', headers, body: form.toString() });
  if (!response.ok) {
    services.log(`Identity provider token endpoint answered ${response.status}`);
    throw new OperationOutcomeError(badRequest('Failed to verify code - check your identity provider configuration'));
  }
  const tokens = (await response.json()) as { id_token?: string };
  if (!tokens.id_token) throw new OperationOutcomeError(badRequest('Identity provider returned no id_token'));
  return tokens.id_token;
}

async function readIdToken(idp: IdentityProvider, idToken: string): Promise<Record<string, unknown>> {
  if (!idp.jwksUrl) return decodeJwt(idToken);
  if (!idp.issuer) throw new OperationOutcomeError(badRequest('Identity provider with jwksUrl needs an issuer'));
  try {
    const jwks = createRemoteJWKSet(new URL(idp.jwksUrl));
    const { payload } = await jwtVerify(idToken, jwks, {
      issuer: idp.issuer,
      ...(idp.clientId ? { audience: idp.clientId } : {}),
    });
    return payload;
  } catch {
    throw new OperationOutcomeError(badRequest('Invalid id_token from the identity provider'));
  }
}

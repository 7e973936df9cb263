import type { WithId } from '@medplum/core';
import { badRequest, notFound, OperationOutcomeError, parseJWTPayload } from '@medplum/core';
import type {
  ClientApplication,
  DomainConfiguration,
  IdentityProvider,
  Project,
  ProjectMembership,
  User,
} from '@medplum/fhirtypes';
import type { Handler } from 'hono';
import { createRemoteJWKSet, customFetch, jwtVerify } from 'jose';
import { findClient, findUserByEmail, findUserByExternalId, membershipsOf } from '../access/directory.ts';
import { clientAddress } from '../http/client-address.ts';
import { setLoginMembership } from '../oauth/logins.ts';
import type { EmulatorServices } from '../services.ts';
import { assertProjectRequirements, startLogin } from './login-flow.ts';

/** What `signInWithExternalAuth` puts in `state`: the Medplum login request (ExternalAuthState in external.ts). */
interface ExternalState {
  domain?: string;
  issuer?: string;
  projectId?: string;
  clientId?: string;
  scope?: string;
  nonce?: string;
  launch?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  redirectUri?: string;
  returnTo?: string;
}

interface ExternalIdentity {
  email?: string;
  externalId?: string;
}

/**
 * Medplum's `appBaseUrl` default (packages/server/medplum.config.json): where Medplum sends the browser to finish an
 * external sign-in that has no client redirect (external.test.ts "DomainConfiguration success" expects
 * `localhost:3000/signin`). The emulator serves no app there; a client with a `redirectUri` in the state is redirected
 * to it instead.
 */
const APP_BASE_URL = 'http://localhost:3000/';

/**
 * `GET /auth/external?code=&state=`, as packages/server/src/auth/external.ts `externalCallbackHandler`: exchanges the
 * identity provider's code at its token endpoint, reads the id_token (verified against `jwksUrl` when set), finds the
 * user by email (or by subject, as a membership's `externalId`), starts a Login and redirects to the client's redirect
 * URI with `?login=&code=`, or else to the app's sign-in page with `?login=&scope=&nonce=…`.
 */
export function externalAuthRoute(services: EmulatorServices): Handler {
  return async (c) => {
    const code = c.req.query('code');
    if (!code) throw new OperationOutcomeError(badRequest('Missing code'));
    const stateText = c.req.query('state');
    if (!stateText) throw new OperationOutcomeError(badRequest('Missing state'));
    let state: ExternalState;
    try {
      state = JSON.parse(stateText) as ExternalState;
    } catch {
      throw new OperationOutcomeError(badRequest('Invalid state'));
    }

    const domainConfig = state.domain ? domainConfiguration(services, state.domain) : undefined;
    const { idp, client } = identityProviderFor(services, state, domainConfig);
    if (!idp) throw new OperationOutcomeError(badRequest('Identity provider not found'));

    const claims = await verifyExternalCode(services, idp, code, state.codeChallenge);
    const identity = resolveIdentity(idp, claims);
    if (state.domain && !identity.email?.endsWith(`@${state.domain}`)) {
      throw new OperationOutcomeError(badRequest('Email address does not match domain'));
    }

    let projectId = state.projectId;
    if (client) {
      if (projectId !== undefined && projectId !== client.meta?.project) {
        throw new OperationOutcomeError(badRequest('Invalid project'));
      }
      projectId = client.meta?.project;
    }

    // Medplum's tryLogin (packages/server/src/oauth/utils.ts) for authMethod 'external'.
    if (!identity.externalId && !identity.email) {
      throw new OperationOutcomeError(badRequest('Missing email or externalId'));
    }
    if (identity.externalId && !projectId) {
      throw new OperationOutcomeError(badRequest('Project ID is required for external ID'));
    }
    const user = identity.externalId
      ? findUserByExternalId(services.repo, identity.externalId, projectId as string)
      : findUserByEmail(services.repo, identity.email as string);
    if (!user) throw new OperationOutcomeError(badRequest('User not found'));
    let login = await startLogin(
      services,
      user as WithId<User>,
      'external',
      {
        ...(projectId ? { projectId } : {}),
        scope: state.scope ?? 'openid offline_access',
        ...(state.nonce ? { nonce: state.nonce } : {}),
        ...(state.launch ? { launchId: state.launch } : {}),
        ...(state.codeChallenge ? { codeChallenge: state.codeChallenge } : {}),
        ...(state.codeChallengeMethod ? { codeChallengeMethod: state.codeChallengeMethod } : {}),
        remoteAddress: clientAddress(c),
        ...(c.req.header('user-agent') ? { userAgent: c.req.header('user-agent') as string } : {}),
      },
      client
    );
    const memberships = membershipsOf(services.repo, user, projectId);
    if (memberships.length === 1) {
      const membership = memberships[0] as WithId<ProjectMembership>;
      await assertProjectRequirements(services, login, membership);
      login = await setLoginMembership(services, login, membership);
    }

    if (login.membership && state.redirectUri && client) {
      const redirectUri = clientRedirectUri(services, client, state.redirectUri);
      if (!redirectUri) throw new OperationOutcomeError(badRequest('Invalid redirect URI'));
      const target = new URL(redirectUri);
      target.searchParams.set('login', login.id);
      target.searchParams.set('code', login.code as string);
      return c.redirect(target.toString(), 302);
    }

    const signInPage =
      state.returnTo && isAllowedReturnTo(state.returnTo, domainConfig)
        ? state.returnTo
        : `${APP_BASE_URL}${login.launch ? 'oauth' : 'signin'}`;
    const target = new URL(signInPage, APP_BASE_URL);
    target.searchParams.set('login', login.id);
    target.searchParams.set('scope', login.scope as string);
    target.searchParams.set('nonce', login.nonce as string);
    if (login.codeChallenge) target.searchParams.set('code_challenge', login.codeChallenge);
    if (login.codeChallengeMethod) target.searchParams.set('code_challenge_method', login.codeChallengeMethod);
    return c.redirect(target.toString(), 302);
  };
}

/** Medplum's getDomainConfiguration (packages/server/src/auth/method.ts): the first one for the lower-cased domain. */
export function domainConfiguration(services: EmulatorServices, domain: string): DomainConfiguration | undefined {
  const wanted = domain.toLowerCase();
  return services.repo
    .list<DomainConfiguration>('DomainConfiguration')
    .find((config) => config.domain?.toLowerCase() === wanted);
}

/**
 * The client's identity provider (an unknown client is the repository's 404), else the domain's. Medplum's server-config
 * providers (`externalAuthProviders`, by `issuer`) are not modelled.
 */
function identityProviderFor(
  services: EmulatorServices,
  state: ExternalState,
  domainConfig: DomainConfiguration | undefined
): { idp?: IdentityProvider; client?: WithId<ClientApplication> } {
  let client: WithId<ClientApplication> | undefined;
  if (state.clientId) {
    client = findClient(services.repo, state.clientId);
    if (!client) throw new OperationOutcomeError(notFound);
    if (client.identityProvider) return { idp: client.identityProvider, client };
  }
  return { ...(domainConfig?.identityProvider ? { idp: domainConfig.identityProvider } : {}), client };
}

/** Email (lower-cased) or subject, per the provider's identitySource / identityMappingMode (legacy `useSubject`). */
function resolveIdentity(idp: IdentityProvider, claims: Record<string, unknown>): ExternalIdentity {
  const source = idp.identitySource ?? (idp.useSubject ? 'subject' : 'email');
  const mode = idp.identityMappingMode ?? (idp.useSubject ? 'project-membership-external-id' : 'user-email');
  if (source === 'email' && mode === 'user-email') {
    const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : undefined;
    if (!email) throw new OperationOutcomeError(badRequest('External token does not contain email address'));
    return { email };
  }
  if (source === 'subject' && mode === 'project-membership-external-id') {
    const externalId = typeof claims.sub === 'string' ? claims.sub : undefined;
    if (!externalId) throw new OperationOutcomeError(badRequest('External token does not contain subject'));
    return { externalId };
  }
  throw new OperationOutcomeError(badRequest('Unsupported identity provider configuration'));
}

/**
 * The requested redirect URI if the client lists it exactly; with the project setting `allow-dangerous-redirect`, also
 * one that starts with a listed URI (packages/server/src/auth/external.ts isDangerousRedirectUriPartialMatchAllowed).
 */
function clientRedirectUri(
  services: EmulatorServices,
  client: ClientApplication,
  requested: string
): string | undefined {
  const allowed = [...(client.redirectUris ?? []), ...(client.redirectUri ? [client.redirectUri] : [])];
  if (allowed.includes(requested)) return requested;
  const project = services.repo.list<Project>('Project').find((p) => p.id === client.meta?.project);
  const dangerous = project?.setting?.find((s) => s.name === 'allow-dangerous-redirect')?.valueBoolean === true;
  return dangerous && allowed.some((uri) => requested.startsWith(uri)) ? requested : undefined;
}

/** A returnTo URL under one of the domain's `allowedPostLoginRedirectUrls` (same protocol, host, port; path prefix). */
function isAllowedReturnTo(returnTo: string, domainConfig: DomainConfiguration | undefined): boolean {
  let url: URL;
  try {
    url = new URL(returnTo);
  } catch {
    return false;
  }
  return Boolean(
    domainConfig?.allowedPostLoginRedirectUrls?.some((entry) => {
      try {
        const allowed = new URL(entry);
        return (
          url.protocol === allowed.protocol &&
          url.hostname === allowed.hostname &&
          url.port === allowed.port &&
          url.pathname.startsWith(allowed.pathname)
        );
      } catch {
        return false;
      }
    })
  );
}

const VERIFY_FAILED = 'Failed to verify code - check your identity provider configuration';

/** The id_token claims for the code, as Medplum's verifyExternalCode: any unexpected failure is VERIFY_FAILED. */
async function verifyExternalCode(
  services: EmulatorServices,
  idp: IdentityProvider,
  code: string,
  codeVerifier: string | undefined
): Promise<Record<string, unknown>> {
  if (!idp.tokenUrl) throw new OperationOutcomeError(badRequest('Missing token URL for external identity provider'));
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Accept-Encoding': 'identity',
    'Content-Type': 'application/x-www-form-urlencoded',
  };
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    redirect_uri: `${services.baseUrl}auth/external`,
    code,
  });
  // The state's codeChallenge goes to the provider as the verifier when it uses PKCE.
  if (idp.usePkce && codeVerifier) form.append('code_verifier', codeVerifier);
  if (idp.tokenAuthMethod === 'client_secret_post') {
    if (!idp.clientId || !idp.clientSecret) {
      throw new OperationOutcomeError(badRequest('Missing client ID or client secret for external identity provider'));
    }
    form.append('client_id', idp.clientId);
    form.append('client_secret', idp.clientSecret);
  } else {
    headers.Authorization = `Basic ${Buffer.from(`${idp.clientId}:${idp.clientSecret}`).toString('base64')}`;
  }
  try {
    const response = await services.fetch(idp.tokenUrl, { method: 'POST', headers, body: form.toString() });
    const body = (await response.json()) as { id_token?: unknown };
    if (!response.ok) {
      services.log(`Identity provider token endpoint answered ${response.status}`);
      throw new OperationOutcomeError(badRequest(VERIFY_FAILED));
    }
    return await verifyIdToken(services, idp, body.id_token);
  } catch (error) {
    if (error instanceof OperationOutcomeError) throw error;
    throw new OperationOutcomeError(badRequest(VERIFY_FAILED));
  }
}

/** Signature, issuer and (when configured) audience are checked when the provider publishes a JWKS. */
async function verifyIdToken(
  services: EmulatorServices,
  idp: IdentityProvider,
  idToken: unknown
): Promise<Record<string, unknown>> {
  if (typeof idToken !== 'string') {
    throw new OperationOutcomeError(badRequest('Missing id_token in external identity provider response'));
  }
  if (idp.jwksUrl) {
    if (!idp.issuer) throw new OperationOutcomeError(badRequest('Missing issuer for external identity provider'));
    const jwks = createRemoteJWKSet(new URL(idp.jwksUrl), { [customFetch]: services.fetch });
    await jwtVerify(idToken, jwks, { issuer: idp.issuer, ...(idp.audience ? { audience: idp.audience } : {}) });
  }
  return parseJWTPayload(idToken);
}

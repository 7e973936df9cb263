import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { Configuration, Grant, KoaContextWithOIDC } from 'oidc-provider';
import type { createAccountDirectory } from './accounts.ts';
import { createMemoryAdapterFactory } from './adapter.ts';
import type { IdentityProviderOptions } from './options.ts';
import { PAGE_HEADERS, renderErrorPage } from './pages.ts';

/** Scopes every configured client gets without a consent screen. */
const AUTO_CONSENT_SCOPES = new Set(['openid', 'profile', 'email']);

/** The oidc-provider configuration of "Acme SSO": its clients, a fresh signing key, claims, routes and lifetimes. */
export async function buildConfiguration(
  opts: IdentityProviderOptions,
  accounts: ReturnType<typeof createAccountDirectory>
): Promise<Configuration> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.alg = 'RS256';
  jwk.use = 'sig';

  return {
    adapter: createMemoryAdapterFactory(),
    jwks: { keys: [jwk as Parameters<typeof exportJWK>[0] & { kid: string }] } as Configuration['jwks'],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: opts.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      client_name: client.name ?? client.clientId,
      redirect_uris: [...client.redirectUris],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // Either of the two secret methods is accepted at the token endpoint; this is only the advertised default.
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    })),
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    // Only public clients (none are configured) would need PKCE; confidential ones may still send it.
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    // email and name ride on `openid` too: Medplum needs `email` in the ID token even when an app passes its own
    // Medplum scope (e.g. "openid offline_access") to the IdP through signInWithExternalAuth.
    claims: {
      acr: null,
      auth_time: null,
      iss: null,
      sid: null,
      openid: ['sub', 'email', 'email_verified', 'name'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    // Put scope-granted claims in the ID token itself, not only at userinfo (Medplum reads the ID token).
    conformIdTokenClaims: false,
    findAccount: (_ctx, sub) => {
      const claims = accounts.claimsFor(sub);
      return claims ? { accountId: sub, claims: () => claims } : undefined;
    },
    loadExistingGrant,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    allowOmittingSingleRegisteredRedirectUri: false,
    routes: { authorization: '/authorize', token: '/token', userinfo: '/userinfo', jwks: '/jwks' },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: { enabled: false },
      userinfo: { enabled: true },
    },
    // Browsers may read userinfo from a registered redirect origin; everything else is server to server.
    clientBasedCORS: (ctx, origin, client) =>
      ctx.oidc.route === 'userinfo' && (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
      ctx.body = await renderErrorPage({ error: out.error, error_description: out.error_description });
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
    },
  };
}

/**
 * Consent without a screen: the grant a configured client gets covers the OIDC scopes it asked for (openid, profile,
 * email). Called by oidc-provider once the user is signed in.
 */
async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const client = oidc.client;
  const accountId = oidc.session?.accountId;
  if (!client || !accountId) return undefined;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (grant && (grant.accountId !== accountId || grant.clientId !== client.clientId)) {
    grant = undefined;
  }
  grant ??= new oidc.provider.Grant({ clientId: client.clientId, accountId });
  grantRequestedScopes(grant, oidc.params?.scope);
  await grant.save();
  return grant;
}

export function grantRequestedScopes(grant: Grant, scope: unknown): void {
  const requested = String(scope ?? '')
    .split(' ')
    .filter((s) => AUTO_CONSENT_SCOPES.has(s));
  if (requested.length > 0) {
    grant.addOIDCScope(requested);
  }
}

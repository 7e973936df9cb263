import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startHttpServer } from '@org/runtime';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { Configuration, Grant, KoaContextWithOIDC } from 'oidc-provider';
import Provider, { errors } from 'oidc-provider';
import { createAccountDirectory } from './accounts.ts';
import { createMemoryAdapterFactory } from './adapter.ts';
import type { IdentityProviderOptions, RunningIdentityProvider } from './options.ts';
import { PAGE_HEADERS, renderErrorPage, renderSignInPage } from './pages.ts';

/** Scopes every configured client gets without a consent screen. */
const AUTO_CONSENT_SCOPES = new Set(['openid', 'profile', 'email']);
const MAX_FORM_BYTES = 16 * 1024;
const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|abort))?$/;

/**
 * "Acme SSO": a real OpenID Provider (panva/oidc-provider) for Medplum's external-auth flow and token exchange, with
 * its own sign-in page. See ./index.ts for the contract.
 */
export async function startIdentityProvider(options: IdentityProviderOptions): Promise<RunningIdentityProvider> {
  const log = options.log ?? (() => {});
  const directory = createAccountDirectory(options.users);
  for (const client of options.clients) {
    if (!client.clientId || !client.clientSecret || client.redirectUris.length === 0) {
      throw new Error('Identity provider clients need a clientId, a clientSecret and at least one redirect URI');
    }
  }

  let provider: Provider | undefined;
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (!provider) {
      res.statusCode = 503;
      res.end();
      return;
    }
    const match = INTERACTION_PATH.exec(new URL(req.url ?? '/', 'http://idp.invalid').pathname);
    if (match) {
      handleInteraction(provider, req, res, match[1] as string, match[2]).catch((err: unknown) => {
        log(`idp: interaction error: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) sendPage(res, 500, renderErrorPage({ error: 'server_error' }));
        else res.destroy();
      });
      return;
    }
    callback(req, res);
  };
  let callback: (req: IncomingMessage, res: ServerResponse) => void = () => {};

  // oidc-provider is a Koa app: a Node request listener, served by the same startHttpServer as the Hono apps.
  const server = await startHttpServer({
    listener,
    port: options.port,
    name: 'the identity provider',
    portSetting: 'IDP_PORT',
  });
  const { port } = server;
  const issuer = (options.issuer ?? `http://localhost:${port}`).replace(/\/$/, '');

  try {
    provider = new Provider(issuer, await buildConfiguration(options, directory));
  } catch (err) {
    await server.close();
    throw err;
  }
  provider.on('server_error', (_ctx: unknown, err: Error) => log(`idp: server error: ${err.message}`));
  // Koa's own error event; without a listener Koa prints every failed request to stderr.
  (provider as unknown as NodeJS.EventEmitter).on('error', (err: Error) => log(`idp: error: ${err.message}`));
  callback = provider.callback();

  async function handleInteraction(
    op: Provider,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    action: string | undefined
  ): Promise<void> {
    const isPost = req.method === 'POST';
    if ((action && !isPost) || (!action && req.method !== 'GET')) {
      sendPage(res, 405, renderErrorPage({ error: 'method_not_allowed' }));
      return;
    }
    let details: Awaited<ReturnType<Provider['interactionDetails']>>;
    try {
      details = await op.interactionDetails(req, res);
    } catch (err) {
      if (err instanceof errors.SessionNotFound) {
        sendPage(res, 400, renderErrorPage({ error: 'invalid_request', error_description: 'sign-in session expired' }));
        return;
      }
      throw err;
    }
    if (details.uid !== uid) {
      sendPage(res, 400, renderErrorPage({ error: 'invalid_request', error_description: 'interaction mismatch' }));
      return;
    }
    const clientId = String(details.params.client_id ?? '');
    const clientName = options.clients.find((c) => c.clientId === clientId)?.name ?? clientId;

    if (action === 'abort') {
      await op.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User aborted interaction' },
        { mergeWithLastSubmission: false }
      );
      return;
    }

    if (details.prompt.name === 'consent') {
      // Every client here is first-party: grant the OIDC scopes it asked for, no consent screen.
      const accountId = details.session?.accountId;
      if (!accountId || action) {
        sendPage(res, 400, renderErrorPage({ error: 'invalid_request' }));
        return;
      }
      const grant = new op.Grant({ clientId, accountId });
      grantRequestedScopes(grant, details.params.scope);
      const grantId = await grant.save();
      await op.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }

    if (details.prompt.name !== 'login') {
      sendPage(res, 400, renderErrorPage({ error: 'invalid_request', error_description: 'unsupported prompt' }));
      return;
    }
    if (!action) {
      const loginHint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
      sendPage(res, 200, renderSignInPage({ uid, clientName, email: loginHint }));
      return;
    }

    const form = await readForm(req);
    if (!form) {
      sendPage(res, 400, renderErrorPage({ error: 'invalid_request', error_description: 'expected a form post' }));
      return;
    }
    const email = form.get('email') ?? '';
    const subject = directory.authenticate(email, form.get('password') ?? '');
    if (!subject) {
      log(`idp: sign-in failed for client ${clientId}`);
      sendPage(res, 401, renderSignInPage({ uid, clientName, email, error: 'Invalid email or password.' }));
      return;
    }
    log(`idp: signed in for client ${clientId}`);
    await op.interactionFinished(req, res, { login: { accountId: subject } }, { mergeWithLastSubmission: false });
  }

  return {
    issuer,
    authorizeUrl: provider.urlFor('authorization'),
    tokenUrl: provider.urlFor('token'),
    userInfoUrl: provider.urlFor('userinfo'),
    jwksUrl: provider.urlFor('jwks'),
    stop: () => server.close(),
  };

  async function buildConfiguration(
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

function grantRequestedScopes(grant: Grant, scope: unknown): void {
  const requested = String(scope ?? '')
    .split(' ')
    .filter((s) => AUTO_CONSENT_SCOPES.has(s));
  if (requested.length > 0) {
    grant.addOIDCScope(requested);
  }
}

function sendPage(res: ServerResponse, status: number, page: Promise<string>): void {
  void page.then((html) => {
    res.writeHead(status, PAGE_HEADERS);
    res.end(html);
  });
}

/** The urlencoded form body, or undefined when it is not one or is too large. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    // Keep draining past the limit, so the connection can still carry the answer.
    size += (chunk as Buffer).length;
    if (size <= MAX_FORM_BYTES) chunks.push(chunk as Buffer);
  }
  return size <= MAX_FORM_BYTES ? new URLSearchParams(Buffer.concat(chunks).toString('utf8')) : undefined;
}

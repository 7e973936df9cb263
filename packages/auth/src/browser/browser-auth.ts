import {
  ensureTrailingSlash,
  type IClientStorage,
  MedplumClient,
  type MedplumClientOptions,
  normalizeErrorString,
  type ProfileResource,
} from '@medplum/core';
import { clientStorageFor, type TokenStorage } from './token-storage.ts';

/**
 * Pattern 1, client side. Everything here runs in the browser: no secret can be given to it, nothing from node:
 * is imported, and everything it is given is public (an app maps its public settings to these options once).
 */

/** Scopes asked for by every sign-in method: `offline_access` so the browser gets a (rotating) refresh token. */
export const DEFAULT_SCOPE = 'openid profile email offline_access';
export const DEFAULT_CALLBACK_PATH = '/auth/callback';
export const DEFAULT_STORAGE_PREFIX = '@org/web:';
/**
 * Refresh this long before the access token expires. The SDK default (5 min) must stay below the token lifetime:
 * with shorter tokens every request, the refresh's own /auth/me included, starts another refresh, forever.
 */
export const DEFAULT_REFRESH_GRACE_MS = 15_000;

interface LocationLike {
  readonly origin: string;
  readonly search: string;
  assign(url: string): void;
}

export interface BrowserAuthOptions {
  /** Medplum's base URL (the browser talks to it directly). */
  baseUrl: string;
  /** The web ClientApplication: a public client, PKCE required. */
  clientId: string;
  /**
   * The external identity provider of that ClientApplication (its `identityProvider`): where
   * `signInWithExternalAuth` sends the browser and the client id Medplum has there.
   */
  externalAuth?: { authorizeUrl: string; clientId: string };
  /** Where Medplum sends the browser back to (must be in the web ClientApplication's redirectUris). */
  callbackPath?: string;
  /** Prefix of the SDK's localStorage keys (activeLogin, logins, codeVerifier, pkceState). */
  storagePrefix?: string;
  scope?: string;
  /** Project to sign in to (optional: the client id already fixes the project). */
  projectId?: string;
  /**
   * `'local'` (default, Medplum's): tokens in localStorage, a session that survives reloads. `'memory'`: tokens only in
   * the tab's memory, nothing for injected script to carry away, sign in again after a reload (see token-storage.ts).
   */
  tokenStorage?: TokenStorage;
  /** For tests and non-browser runtimes; wins over `tokenStorage`. */
  storage?: IClientStorage;
  fetch?: typeof fetch;
  location?: LocationLike;
  /** Extra SDK options (never a clientSecret: refused). */
  clientOptions?: Omit<MedplumClientOptions, 'clientSecret' | 'baseUrl' | 'clientId' | 'storage' | 'fetch'>;
}

export type CallbackResult =
  | { status: 'none' }
  | { status: 'signed-in'; profile: ProfileResource | undefined }
  | { status: 'error'; error: string; description?: string }
  /** Medplum finished the external login but still needs a profile choice (resume with `login`). */
  | { status: 'login-pending'; login: string };

export interface BrowserAuth {
  /** The one MedplumClient of the app, for `MedplumProvider`. */
  readonly medplum: MedplumClient;
  callbackUrl(): string;
  /** Medplum's own sign-in page (`/oauth2/authorize`), back to the callback with `?code=&state=`. */
  authorizeUrl(): Promise<string>;
  signInWithRedirect(): Promise<void>;
  /** The configured IdP, which returns to `<medplum>/auth/external`, which returns to the callback with `?login=&code=`. */
  externalAuthUrl(): Promise<string>;
  signInWithExternalAuth(): Promise<void>;
  /** On the callback page: `?code=` (checks `state` when present), `?error=`, or `?login=`. */
  handleCallback(search?: string): Promise<CallbackResult>;
  /** Revokes the Medplum login (`/oauth2/logout`) and clears the stored tokens, even if the revocation fails. */
  signOut(): Promise<void>;
}

function currentLocation(): LocationLike | undefined {
  return (globalThis as { location?: LocationLike }).location;
}

/** A message fit for the page (OperationOutcome and OAuth errors alike); never includes the password. */
export function describeAuthError(error: unknown): string {
  return normalizeErrorString(error).replace(/^Failed to fetch tokens: /, '');
}

/**
 * What the callback page's query says before anything is exchanged: a final result, or the code to exchange.
 * A code comes back either with the state this browser sent to /oauth2/authorize, or — from Medplum's
 * /auth/external, which sends none — with the login it belongs to (whose PKCE challenge only this browser's
 * verifier answers). A bare code is someone else's: never exchange it.
 */
function checkCallback(params: URLSearchParams, expectedState: string | undefined): CallbackResult | { code: string } {
  const error = params.get('error');
  if (error) {
    const description = params.get('error_description') ?? undefined;
    return description ? { status: 'error', error, description } : { status: 'error', error };
  }
  const code = params.get('code');
  const login = params.get('login');
  if (!code) return login ? { status: 'login-pending', login } : { status: 'none' };
  const state = params.get('state');
  if (state === null && !login) {
    return { status: 'error', error: 'state_missing', description: 'This sign-in came back without its state' };
  }
  if (state !== null && state !== expectedState) {
    return { status: 'error', error: 'state_mismatch', description: 'This sign-in was not started here' };
  }
  return { code };
}

/**
 * The app's MedplumClient and its sign-in methods. Email and password sign-in is Medplum's `SignInForm`
 * (`@medplum/react`) on {@link BrowserAuth.medplum}: it runs auth/method, auth/login with PKCE and the token request.
 */
export function createBrowserAuth(options: BrowserAuthOptions): BrowserAuth {
  if (options.clientOptions && 'clientSecret' in options.clientOptions) {
    throw new Error('@org/auth/browser never takes a client secret');
  }
  const baseUrl = ensureTrailingSlash(options.baseUrl);
  const clientId = options.clientId;
  const scope = options.scope ?? DEFAULT_SCOPE;
  const callbackPath = options.callbackPath ?? DEFAULT_CALLBACK_PATH;
  const storage =
    options.storage ??
    clientStorageFor(options.tokenStorage ?? 'local', options.storagePrefix ?? DEFAULT_STORAGE_PREFIX);
  const medplum = new MedplumClient({
    refreshGracePeriod: DEFAULT_REFRESH_GRACE_MS,
    ...options.clientOptions,
    baseUrl,
    clientId,
    storage,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  const location = () => {
    const value = options.location ?? currentLocation();
    if (!value) throw new Error('no browser location: pass options.location');
    return value;
  };
  const callbackUrl = () => `${location().origin}${callbackPath}`;

  async function exchange(code: string): Promise<CallbackResult & { status: 'signed-in' }> {
    const profile = await medplum.processCode(code, { clientId, redirectUri: callbackUrl() });
    return { status: 'signed-in', profile };
  }

  async function authorizeUrl(): Promise<string> {
    const { codeChallenge, codeChallengeMethod } = await medplum.startPkce();
    const url = new URL('oauth2/authorize', baseUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', clientId);
    url.searchParams.set('redirect_uri', callbackUrl());
    url.searchParams.set('scope', scope);
    url.searchParams.set('state', storage.getString('pkceState') ?? '');
    url.searchParams.set('code_challenge_method', codeChallengeMethod);
    url.searchParams.set('code_challenge', codeChallenge);
    return url.toString();
  }

  async function externalAuthUrl(): Promise<string> {
    // PKCE binds the browser to the *Medplum* login (state.codeChallenge, checked when the code is exchanged).
    // It is not sent to the IdP: Medplum would forward the challenge as the IdP's code_verifier (external.ts).
    const idp = options.externalAuth;
    if (!idp) throw new Error('no external identity provider: pass options.externalAuth');
    const pkce = await medplum.startPkce();
    return medplum.getExternalAuthRedirectUri(
      idp.authorizeUrl,
      idp.clientId,
      new URL('auth/external', baseUrl).toString(),
      {
        clientId,
        scope,
        redirectUri: callbackUrl(),
        ...(options.projectId ? { projectId: options.projectId } : {}),
        ...pkce,
      },
      false
    );
  }

  return {
    medplum,
    callbackUrl,
    authorizeUrl,
    externalAuthUrl,

    async signInWithRedirect() {
      location().assign(await authorizeUrl());
    },

    async signInWithExternalAuth() {
      location().assign(await externalAuthUrl());
    },

    async handleCallback(search) {
      const checked = checkCallback(new URLSearchParams(search ?? location().search), storage.getString('pkceState'));
      if (!('code' in checked)) return checked;
      const { code } = checked;
      try {
        return await exchange(code);
      } catch (err) {
        return { status: 'error', error: 'invalid_grant', description: describeAuthError(err) };
      } finally {
        storage.setString('pkceState', undefined);
      }
    },

    async signOut() {
      try {
        if (medplum.getAccessToken()) await medplum.signOut();
      } finally {
        medplum.clear();
      }
    },
  };
}

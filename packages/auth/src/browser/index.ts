/**
 * Pattern 1, client side (browser): the app's MedplumClient and the three sign-in methods. Browser-safe: public
 * configuration only, no node: imports, no secret.
 *
 *   const auth = createBrowserAuth(loadBrowserConfig());
 *   <MedplumProvider medplum={auth.medplum}>…
 *   await auth.signInWithPassword({ email, password });   // or signInWithRedirect() / signInWithExternalAuth()
 *   const result = await auth.handleCallback();           // on /auth/callback
 */
export {
  type BrowserAuth,
  type BrowserAuthOptions,
  type CallbackResult,
  createBrowserAuth,
  DEFAULT_CALLBACK_PATH,
  DEFAULT_REFRESH_GRACE_MS,
  DEFAULT_SCOPE,
  DEFAULT_STORAGE_PREFIX,
  describeAuthError,
  type PasswordSignInResult,
  type PublicAuthConfig,
} from './browser-auth.ts';
export { clientStorageFor, type TokenStorage } from './token-storage.ts';

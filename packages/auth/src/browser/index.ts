/**
 * Pattern 1, client side (browser): the app's MedplumClient and its sign-in methods. Browser-safe: public
 * options only, no node: imports, no secret.
 *
 *   const auth = createBrowserAuth({
 *     baseUrl: 'https://api.medplum.com/',
 *     clientId: '<web ClientApplication id>',
 *     externalAuth: { authorizeUrl: 'https://sso.example.org/authorize', clientId: 'medplum-web' },
 *     tokenStorage: 'memory',
 *   });
 *   <MedplumProvider medplum={auth.medplum}><SignInForm …/></MedplumProvider>  // email + password, Medplum's form
 *   await auth.signInWithRedirect();                      // or signInWithExternalAuth()
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
} from './browser-auth.ts';
export { clientStorageFor, type TokenStorage } from './token-storage.ts';

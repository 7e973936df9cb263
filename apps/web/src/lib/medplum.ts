/**
 * The app's single MedplumClient (one per browser tab) and its sign-in methods, from `@org/auth/browser` with the
 * options src/env.ts maps the public configuration to. Components get the client through `MedplumProvider` /
 * `useMedplum()`; nothing else creates one.
 */
import { type BrowserAuth, type CallbackResult, createBrowserAuth } from '@org/auth/browser';
import { browserAuthOptions, CALLBACK_PATH } from '../env.ts';

/** Pages where a failed token request is shown on the page instead of sending the user back to sign in. */
const SIGN_IN_PATHS = new Set(['/signin', CALLBACK_PATH]);

let auth: BrowserAuth | undefined;
let sessionEnded = false;

/**
 * True once Medplum has refused this tab's refresh token (revoked or expired login). The SDK clears its tokens just
 * before telling us, so the signed-in layout sees "no profile" too: it must leave the redirect (and its message) to us.
 */
export function sessionHasEnded(): boolean {
  return sessionEnded;
}

export function getAuth(): BrowserAuth {
  auth ??= createBrowserAuth({
    ...browserAuthOptions,
    clientOptions: {
      // The refresh token was refused or has expired: the session is over (the SDK has cleared its tokens).
      onUnauthenticated: () => {
        if (typeof window !== 'undefined' && !SIGN_IN_PATHS.has(window.location.pathname)) {
          sessionEnded = true;
          window.location.assign('/signin?reason=session-ended');
        }
      },
    },
  });
  return auth;
}

const callbacks = new Map<string, Promise<CallbackResult>>();

/**
 * `handleCallback` once per callback URL: an authorization code is single-use (a second exchange revokes the login),
 * and React runs effects twice in development.
 */
export function handleCallbackOnce(search: string): Promise<CallbackResult> {
  let result = callbacks.get(search);
  if (!result) {
    result = getAuth().handleCallback(search);
    callbacks.set(search, result);
  }
  return result;
}

/**
 * CSRF defence for the JSON API, in the style of Duende BFF: every `/api/*` request must carry the static header
 * `X-CSRF: 1`. A cross-site page cannot add a custom header without a CORS preflight, which this app never answers.
 * State-changing requests must also come with an `Origin` equal to PROXY_PUBLIC_URL's origin (browsers send Origin on
 * every POST/PUT/PATCH/DELETE); safe requests that do carry an Origin must match it too. `hono/csrf` alone only looks
 * at form content types, which would leave JSON calls unprotected. SameSite=Strict on the cookie is a further layer,
 * not the defence: it does not help across same-site subdomains.
 */
import type { Context, MiddlewareHandler } from 'hono';

export const CSRF_HEADER = 'X-CSRF';
export const CSRF_HEADER_VALUE = '1';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type CsrfFailure = 'csrf-header' | 'csrf-origin';

/** The reason a request fails the CSRF rules, or undefined. */
export function checkCsrf(request: Request, allowedOrigin: string): CsrfFailure | undefined {
  if (request.headers.get(CSRF_HEADER) !== CSRF_HEADER_VALUE) return 'csrf-header';
  const origin = request.headers.get('Origin');
  if (SAFE_METHODS.has(request.method)) return origin === null || origin === allowedOrigin ? undefined : 'csrf-origin';
  return origin === allowedOrigin ? undefined : 'csrf-origin';
}

export function csrfProtection(
  allowedOrigin: string,
  onReject: (c: Context, reason: CsrfFailure) => void
): MiddlewareHandler {
  return async (c, next) => {
    const failure = checkCsrf(c.req.raw, allowedOrigin);
    if (failure) {
      onReject(c, failure);
      return c.json({ error: 'forbidden', reason: failure }, 403);
    }
    await next();
  };
}

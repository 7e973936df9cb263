import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

/**
 * Path prefixes Medplum's packages/server/src/cors.ts allows cross-origin calls on. Medplum tests them against the
 * app-level `req.path`, so a `/api/…` path never matches and gets no CORS headers.
 */
const CORS_PREFIXES = [
  '/.well-known/',
  '/admin/',
  '/auth/',
  '/cds-services',
  '/dicomweb/',
  '/email/',
  '/fhir/',
  '/fhircast/',
  '/oauth2/',
  '/keyvalue/',
  '/storage/',
];

/** As packages/server/src/cors.ts `exposedHeaders`. */
const EXPOSED_HEADERS = ['Content-Location', 'ETag', 'Last-Modified', 'Location', 'RateLimit'];

/**
 * Medplum's CORS (packages/server/src/cors.ts with the `cors` package's defaults): an allowed Origin on an allowed
 * path is echoed with `Access-Control-Allow-Credentials: true` and the exposed headers; a preflight gets 204 with the
 * `cors` package's default methods, the requested headers reflected and `Access-Control-Max-Age: 600`. Any other
 * request gets no CORS headers at all and goes on to the routes, so the browser blocks the response.
 *
 * An origin is allowed when `allowedOrigins` holds it exactly or holds `*` (Medplum's `allowedOrigins: '*'`).
 */
export function medplumCors(allowedOrigins: readonly string[]): MiddlewareHandler {
  const open = allowedOrigins.includes('*');
  const allowed = new Set(allowedOrigins.map((origin) => origin.trim()));
  const handler = cors({
    origin: (origin) => origin,
    credentials: true,
    allowMethods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'],
    exposeHeaders: EXPOSED_HEADERS,
    // packages/server/src/app.int.test.ts "Preflight max age".
    maxAge: 600,
  });
  return async (c, next) => {
    const origin = c.req.header('origin');
    const path = new URL(c.req.url).pathname;
    const originAllowed = !!origin && (open || allowed.has(origin));
    if (!originAllowed || !CORS_PREFIXES.some((prefix) => path.startsWith(prefix))) return next();
    return handler(c, next);
  };
}

import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

/** Path prefixes Medplum's cors.ts allows cross-origin calls on (also under /api/). */
const CORS_PREFIXES = ['/.well-known/', '/admin/', '/auth/', '/fhir/', '/oauth2/', '/storage/', '/scim/', '/fhircast/'];

/**
 * Medplum's CORS: an allowed Origin is echoed with `Access-Control-Allow-Credentials: true` and the exposed headers the
 * SDK reads; other origins get no CORS headers at all, so the browser blocks the response.
 */
export function medplumCors(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(allowedOrigins);
  const handler = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    credentials: true,
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    exposeHeaders: ['Content-Location', 'ETag', 'Last-Modified', 'Location', 'RateLimit'],
    maxAge: 86400,
  });
  return async (c, next) => {
    const path = new URL(c.req.url).pathname.replace(/^\/api\//, '/');
    if (!CORS_PREFIXES.some((prefix) => path.startsWith(prefix))) return next();
    return handler(c, next);
  };
}

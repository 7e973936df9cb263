import type { MiddlewareHandler } from 'hono';

/**
 * The headers Medplum's API sets on every response (packages/server/src/app.ts `standardHeaders`): no caching, an API
 * server's "block everything" Content-Security-Policy, no browser features, no Referer, no sniffing, no framing, and
 * HSTS when the base URL is https. A route that sets one of them itself (the emulator's own sign-in page, which
 * Medplum serves from its web app instead) keeps its value.
 */
export function standardHeaders(baseUrl: string): MiddlewareHandler {
  const headers: [string, string][] = [
    ['Cache-Control', 'no-store, no-cache, must-revalidate'],
    ['Pragma', 'no-cache'],
    ['Content-Security-Policy', "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none';"],
    [
      'Permission-Policy',
      'accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()',
    ],
    ['Referrer-Policy', 'no-referrer'],
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
    ['X-XSS-Protection', '1; mode=block'],
  ];
  if (baseUrl.startsWith('https://')) {
    headers.push(['Strict-Transport-Security', 'max-age=63072000; includeSubDomains; preload']);
  }
  return async (c, next) => {
    await next();
    for (const [name, value] of headers) {
      if (!c.res.headers.has(name)) c.res.headers.set(name, value);
    }
  };
}

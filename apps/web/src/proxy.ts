import 'server-only';
import { type NextRequest, NextResponse } from 'next/server';
import { env, isDevelopment } from './env.ts';
import { contentSecurityPolicy, createNonce } from './security-headers.ts';

/**
 * A Content-Security-Policy with a fresh script nonce for every page request. Next reads the nonce from the request's
 * CSP header and puts it on its own scripts (the pages render per request for that); the root layout passes it to
 * Mantine's color-scheme script.
 */
export function proxy(request: NextRequest) {
  const nonce = createNonce();
  const csp = contentSecurityPolicy({ medplumBaseUrl: env.NEXT_PUBLIC_MEDPLUM_BASE_URL, nonce, isDevelopment });
  const headers = new Headers(request.headers);
  headers.set('x-nonce', nonce);
  headers.set('Content-Security-Policy', csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('Content-Security-Policy', csp);
  return response;
}

export const config = {
  matcher: [
    {
      // Everything but static assets, which carry no script to protect. Prefetches too: a prefetched response can
      // become the page (and Next's example that skips them leaves exactly those without a policy).
      source: '/((?!_next/static|_next/image|favicon.ico).*)',
    },
  ],
};

/**
 * Security headers, in one pure module: next.config.ts sets the static ones on every response, src/proxy.ts sets the
 * Content-Security-Policy with a fresh nonce per page request, and the tests check both.
 */

export interface CspOptions {
  /** Medplum base URL: the one other origin the browser may call. */
  medplumBaseUrl: string;
  /** Per-request nonce for scripts (src/proxy.ts); without one, inline scripts are not allowed at all. */
  nonce?: string;
  /** `next dev`: React's development build needs eval, and hot reload a WebSocket. */
  isDevelopment?: boolean;
}

/**
 * Scripts: only those carrying this request's nonce (Next adds it to its own scripts and bundles) and what they load
 * ('strict-dynamic'); no host allowlist, no inline script without the nonce. Styles keep 'unsafe-inline': Mantine
 * and @medplum/react set inline styles, which cannot carry a nonce. The browser calls only this origin and Medplum.
 */
export function contentSecurityPolicy(options: CspOptions): string {
  const medplum = new URL(options.medplumBaseUrl).origin;
  const dev = options.isDevelopment === true;
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': [
      "'self'",
      ...(options.nonce ? [`'nonce-${options.nonce}'`, "'strict-dynamic'"] : []),
      ...(dev ? ["'unsafe-eval'"] : []),
    ],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:', medplum],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'", medplum, ...(dev ? ['ws:'] : [])],
    'frame-src': ["'none'"],
    'frame-ancestors': ["'none'"],
    'form-action': ["'self'"],
    'base-uri': ["'self'"],
    'object-src': ["'none'"],
    'worker-src': ["'self'", 'blob:'],
    'manifest-src': ["'self'"],
  };
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}

/** Headers for every response (pages, assets, errors); the CSP of pages comes from src/proxy.ts. */
export function staticSecurityHeaders(): { key: string; value: string }[] {
  return [
    { key: 'X-Frame-Options', value: 'DENY' },
    { key: 'X-Content-Type-Options', value: 'nosniff' },
    // Authorization codes travel in the callback URL: never send a URL of this app to another origin.
    { key: 'Referrer-Policy', value: 'no-referrer' },
    { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()' },
    { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
    { key: 'Cross-Origin-Resource-Policy', value: 'same-origin' },
  ];
}

/** A nonce: 128 random bits, base64. */
export function createNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

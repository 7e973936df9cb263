import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, createNonce, staticSecurityHeaders } from '../../src/security-headers.ts';

const medplumBaseUrl = 'http://localhost:8103/';

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp.split(';').map((part) => {
      const [name = '', ...values] = part.trim().split(/\s+/);
      return [name, values];
    })
  );
}

describe('Content-Security-Policy (src/security-headers.ts, set per request by src/proxy.ts)', () => {
  it('allows only scripts with this request nonce, fetches only to this origin and Medplum, and no framing', () => {
    const csp = directives(contentSecurityPolicy({ medplumBaseUrl, nonce: 'abc123' }));
    expect(csp.get('script-src')).toEqual(["'self'", "'nonce-abc123'", "'strict-dynamic'"]);
    expect(csp.get('connect-src')).toEqual(["'self'", 'http://localhost:8103']);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'self'"]);
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('form-action')).toEqual(["'self'"]);
  });

  it('never allows inline scripts without the nonce, nor eval outside `next dev`', () => {
    for (const csp of [
      contentSecurityPolicy({ medplumBaseUrl }),
      contentSecurityPolicy({ medplumBaseUrl, nonce: 'n' }),
    ]) {
      expect(directives(csp).get('script-src')).not.toContain("'unsafe-inline'");
      expect(directives(csp).get('script-src')).not.toContain("'unsafe-eval'");
    }
    const dev = directives(contentSecurityPolicy({ medplumBaseUrl, nonce: 'n', isDevelopment: true }));
    expect(dev.get('script-src')).toContain("'unsafe-eval'");
  });

  it('uses a fresh, unguessable nonce each time', () => {
    const nonces = new Set(Array.from({ length: 100 }, createNonce));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) expect(atob(nonce)).toHaveLength(16);
  });
});

describe('static security headers (next.config.ts)', () => {
  it('are set', () => {
    const headers = new Map(staticSecurityHeaders().map(({ key, value }) => [key, value]));
    expect(headers.get('X-Frame-Options')).toBe('DENY');
    expect(headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(headers.get('X-Content-Type-Options')).toBe('nosniff');
  });
});

import { describe, expect, it } from 'vitest';
import { apiHeaders } from '../../test/helpers.ts';
import { unitApp } from '../../test/unit-app.ts';

describe('security headers', () => {
  it('are on pages, API answers and errors', async () => {
    const { app } = unitApp();
    for (const response of [
      await app.request('/login'),
      await app.request('/api/fhir/Patient', { headers: apiHeaders() }),
      await app.request('/nowhere'),
    ]) {
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});

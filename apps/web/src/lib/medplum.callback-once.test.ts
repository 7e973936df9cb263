import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/**
 * An authorization code is single-use: exchanging it twice makes Medplum revoke the login. React runs effects twice
 * in development, so the callback page must exchange each code once.
 */
describe('handleCallbackOnce', () => {
  const tokenRequests: string[] = [];

  beforeEach(() => {
    vi.resetModules();
    tokenRequests.length = 0;
    for (const [name, value] of Object.entries({
      NEXT_PUBLIC_MEDPLUM_BASE_URL: 'http://localhost:8103/',
      NEXT_PUBLIC_MEDPLUM_CLIENT_ID: 'web-client',
      NEXT_PUBLIC_IDP_AUTHORIZE_URL: 'http://localhost:8104/authorize',
      NEXT_PUBLIC_IDP_CLIENT_ID: 'medplum-web',
      NEXT_PUBLIC_PROXY_URL: 'http://localhost:3001/',
      NEXT_PUBLIC_DEVICE_URL: 'http://localhost:3002/',
      NEXT_PUBLIC_TOKEN_STORAGE: 'local',
    })) {
      vi.stubEnv(name, value);
    }
    vi.stubGlobal('location', { origin: 'http://localhost:3000', search: '', assign: vi.fn() });
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        tokenRequests.push(`${url} ${String(init?.body)}`);
        return new Response(JSON.stringify({ error: 'invalid_request', error_description: 'Invalid code' }), {
          status: 400,
          headers: { 'Content-Type': 'application/json' },
        });
      })
    );
  });

  afterEach(() => vi.unstubAllGlobals());

  it('exchanges a code once however often the page asks, and reports the refusal', async () => {
    const { handleCallbackOnce } = await import('./medplum.ts');
    // As Medplum's /auth/external sends the browser back: the code with its login (a bare code would be refused).
    const callback = '?login=l1&code=abc';
    const [first, second] = await Promise.all([handleCallbackOnce(callback), handleCallbackOnce(callback)]);
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]).toContain('oauth2/token');
    expect(tokenRequests[0]).toContain('redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauth%2Fcallback');
    expect(first).toEqual(second);
    expect(first).toMatchObject({ status: 'error', error: 'invalid_grant', description: 'Invalid code' });
  });

  it('reports ?error= without any request', async () => {
    const { handleCallbackOnce } = await import('./medplum.ts');
    const result = await handleCallbackOnce('?error=access_denied&error_description=cancelled');
    expect(result).toEqual({ status: 'error', error: 'access_denied', description: 'cancelled' });
    expect(tokenRequests).toHaveLength(0);
  });
});

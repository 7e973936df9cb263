import { describe, expect, it, vi } from 'vitest';
import { ConfigError, loadBrowserConfig } from './browser.ts';

describe('loadBrowserConfig', () => {
  it('reads the NEXT_PUBLIC_ variables by name and normalises URLs', () => {
    vi.stubEnv('NEXT_PUBLIC_MEDPLUM_BASE_URL', 'https://medplum.example.org');
    vi.stubEnv('NEXT_PUBLIC_MEDPLUM_CLIENT_ID', 'my-client');
    const config = loadBrowserConfig();
    expect(config.NEXT_PUBLIC_MEDPLUM_BASE_URL).toBe('https://medplum.example.org/');
    expect(config.NEXT_PUBLIC_MEDPLUM_CLIENT_ID).toBe('my-client');
    expect(config.NEXT_PUBLIC_IDP_AUTHORIZE_URL).toBe('http://localhost:8104/authorize');
  });

  it('ignores server-only variables entirely', () => {
    vi.stubEnv('PROXY_MEDPLUM_CLIENT_SECRET', 'server-secret-value');
    expect(JSON.stringify(loadBrowserConfig())).not.toContain('server-secret-value');
  });

  it('fails with a ConfigError naming the variable', () => {
    vi.stubEnv('NEXT_PUBLIC_MEDPLUM_BASE_URL', 'not a url');
    expect(() => loadBrowserConfig()).toThrow(ConfigError);
    expect(() => loadBrowserConfig()).toThrow(/NEXT_PUBLIC_MEDPLUM_BASE_URL expected an http/);
  });
});

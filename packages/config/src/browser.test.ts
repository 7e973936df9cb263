import { describe, expect, it, vi } from 'vitest';
import { ConfigError, loadBrowserConfig, webBrowserSchema } from './browser.ts';

describe('loadBrowserConfig', () => {
  it('reads the NEXT_PUBLIC_ variables by name and normalises URLs', () => {
    vi.stubEnv('NEXT_PUBLIC_MEDPLUM_BASE_URL', 'https://medplum.example.org');
    vi.stubEnv('NEXT_PUBLIC_MEDPLUM_CLIENT_ID', 'my-client');
    const config = loadBrowserConfig();
    expect(config.NEXT_PUBLIC_MEDPLUM_BASE_URL).toBe('https://medplum.example.org/');
    expect(config.NEXT_PUBLIC_MEDPLUM_CLIENT_ID).toBe('my-client');
    expect(config.NEXT_PUBLIC_IDP_AUTHORIZE_URL).toBe('http://localhost:8104/authorize');
  });

  it('reads every variable of the browser schema (Next inlines only names written out)', () => {
    const values: Record<string, string> = {
      NEXT_PUBLIC_MEDPLUM_BASE_URL: 'https://medplum.example.org/',
      NEXT_PUBLIC_MEDPLUM_CLIENT_ID: 'c',
      NEXT_PUBLIC_IDP_AUTHORIZE_URL: 'https://idp.example.org/authorize',
      NEXT_PUBLIC_IDP_CLIENT_ID: 'i',
      NEXT_PUBLIC_PROXY_URL: 'https://proxy.example.org/',
      NEXT_PUBLIC_DEVICE_URL: 'https://device.example.org/',
      NEXT_PUBLIC_TOKEN_STORAGE: 'memory',
    };
    expect(Object.keys(values).sort()).toEqual(Object.keys(webBrowserSchema.shape).sort());
    for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
    expect(loadBrowserConfig()).toEqual(values);
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

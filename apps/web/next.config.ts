import { loadConfig, webBrowserSchema } from '@org/config';
import type { BrowserConfig } from '@org/config/browser';
import type { NextConfig } from 'next';
import { staticSecurityHeaders } from './src/security-headers.ts';

/**
 * The browser configuration, validated by @org/config once, at build (or dev-server) start: the environment first, then
 * the repository's `.env` / `.env.local` (where `pnpm medplum:provision` writes the client ids). Next inlines the
 * parsed values into the bundle, where src/env.ts reads them; this file runs in Node only.
 */
const config: BrowserConfig = loadConfig(webBrowserSchema);

export default function nextConfig(): NextConfig {
  return {
    reactStrictMode: true,
    poweredByHeader: false,
    // The workspace packages are TypeScript sources (JIT internal packages).
    transpilePackages: ['@org/config', '@org/auth'],
    // Mantine's entry points re-export every component; compile only the ones a page imports (Mantine's Next.js guide).
    experimental: { optimizePackageImports: ['@mantine/core', '@mantine/hooks'] },
    env: { ...config },
    async headers() {
      // The Content-Security-Policy, with a per-request script nonce, comes from src/proxy.ts.
      return [{ source: '/:path*', headers: staticSecurityHeaders() }];
    },
  };
}

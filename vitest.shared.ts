import { configDefaults, type ViteUserConfig } from 'vitest/config';

/**
 * Settings every package's Vitest config starts from. The JSON report is what `pnpm test` (scripts/test.ts) adds up
 * into the one `N passed, N failed` line, and what turbo restores from its cache on a second run.
 */
export const sharedTestConfig = {
  restoreMocks: true,
  // Hang guards, not timing assertions: `pnpm test` runs every package's suite at once on a two-core machine, where
  // an integration test making hundreds of real HTTP calls can take far longer than on a quiet laptop.
  testTimeout: 60_000,
  hookTimeout: 60_000,
  unstubEnvs: true,
  unstubGlobals: true,
  exclude: [...configDefaults.exclude, '**/*.spec.ts', '**/.next/**', '**/dist/**'],
  reporters: ['default', ['json', { outputFile: '.cache/test-results/vitest.json' }]],
} satisfies NonNullable<ViteUserConfig['test']>;

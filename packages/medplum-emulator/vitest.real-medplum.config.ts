import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.ts';

/**
 * The contract and conformance suites in "real Medplum" mode, run by `pnpm test`: against a separately started emulator
 * that holds only a project and its admin client (test/real-medplum/global-setup.ts), as a real Medplum's test project
 * would. Proves that the cases which provision what they need through the admin API run, and clean up, without the
 * fixture seed; the cases that stay seed-bound are listed with their reason at the end of the run.
 */
export default defineConfig({
  test: {
    ...sharedTestConfig,
    name: 'medplum-emulator (real Medplum mode)',
    include: ['test/contract/**/*.test.ts', 'test/conformance/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/real-medplum/global-setup.ts'],
    reporters: [
      'default',
      ['json', { outputFile: '.cache/test-results/vitest-real-medplum.json' }],
      './test/contract/seed-bound-reporter.ts',
    ],
  },
});

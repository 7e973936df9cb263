import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.ts';

// Tests start real emulators (FHIR definitions, real HTTP) and wait for tokens to expire: generous limits, so a busy
// machine slows the suite down instead of failing it. No test asserts on timing.
export default defineConfig({
  test: {
    ...sharedTestConfig,
    name: 'medplum-emulator',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A bad MEDPLUM_CONTRACT_* setting stops the run with one message instead of failing every contract file.
    globalSetup: ['test/contract/global-setup.ts'],
    // Against a real Medplum (MEDPLUM_CONTRACT_BASE_URL), the cases that stayed seed-bound, listed by reason.
    reporters: [...sharedTestConfig.reporters, './test/contract/seed-bound-reporter.ts'],
  },
});

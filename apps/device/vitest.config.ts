import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.ts';

// Integration tests start a real emulator (FHIR definitions load once per worker); the limits are generous on purpose
// and no test asserts on timing.
export default defineConfig({
  test: { ...sharedTestConfig, name: 'device' },
});

import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.ts';

// Integration tests start a real emulator and the CLI as a process: generous limits, no timing assertions.
export default defineConfig({
  test: { ...sharedTestConfig, name: 'catalog-pipeline' },
});

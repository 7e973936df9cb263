import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.ts';

// Unit and component tests (Node, no DOM); the browser tests in tests/*.spec.ts run under Playwright.
export default defineConfig({
  test: { ...sharedTestConfig, name: 'web', include: ['src/**/*.test.{ts,tsx}', 'tests/**/*.test.ts'] },
});

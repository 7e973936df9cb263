import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../vitest.shared.ts';

// The pack check and the rename-scope run build, pack, clone and install: minutes on a busy machine, not seconds.
export default defineConfig({
  test: { ...sharedTestConfig, name: 'scripts', testTimeout: 180_000, hookTimeout: 180_000 },
});

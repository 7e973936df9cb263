import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.ts';

// Integration tests start an emulator and make hundreds of real HTTP calls: a generous timeout (a hang guard, not a
// performance threshold — latency is measured by `pnpm bench`).
export default defineConfig({ test: { ...sharedTestConfig, name: 'proxy' } });

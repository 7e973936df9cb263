import { defineConfig } from 'vitest/config';

// For editors and `pnpm vitest` at the root; `pnpm test` runs each package's own config through turbo instead.
export default defineConfig({ test: { projects: ['apps/*', 'packages/*'] } });

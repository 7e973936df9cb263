import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from '../playwright.shared.ts';

/**
 * The whole stack as real processes on the ports `pnpm dev` uses (the web build inlined them, and the seed's redirect
 * URIs and webhook endpoint name them): the emulator with Acme SSO, the device, the proxy and the production build of
 * the web app. Data lives in a fresh temporary folder. If a port is taken (a running `pnpm dev`?), Playwright stops at
 * once with "… is already used" rather than testing whatever holds it.
 */
const root = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'org-e2e-'));
const seedFile = join(dataDir, 'seed.json');
const env = { DEVICE_DATA_DIR: join(dataDir, 'device') };

export default defineConfig({
  testDir: './tests',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // A focused test (`test.only`) would silently drop every other spec: CI refuses it (Vitest does the same on its own).
  forbidOnly: Boolean(process.env.CI),
  // Generous: these machines are often busy (2 cores shared with builds). Nothing here measures time.
  timeout: 120_000,
  expect: { timeout: 20_000 },
  outputDir: '.cache/playwright',
  reporter: [['list'], ['json', { outputFile: '.cache/test-results/playwright.json' }]],
  use: {
    trace: 'retain-on-failure',
    launchOptions: chromiumLaunchOptions,
  },
  webServer: [
    {
      command: `node packages/auth/src/provisioning/cli.ts seed --out ${seedFile} && node packages/medplum-emulator/src/cli.ts --seed ${seedFile}`,
      cwd: root,
      url: 'http://localhost:8103/.well-known/openid-configuration',
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env,
    },
    {
      // Once the emulator answers: the lab catalogue the web form offers and the analyzer runs, published by the
      // pipeline's CLI as in `pnpm dev`; then the device.
      command: 'node ../catalog-pipeline/src/cli.ts && node src/cli.ts run',
      cwd: join(root, 'apps/device'),
      url: 'http://localhost:3002/healthz',
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env,
    },
    {
      command: 'node src/server.ts',
      cwd: join(root, 'apps/proxy'),
      url: 'http://localhost:3001/healthz',
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env,
    },
    {
      // `node` directly, not `pnpm start`, so Playwright can stop the server it started.
      command: 'node node_modules/next/dist/bin/next start --port 3000 --hostname 127.0.0.1',
      cwd: join(root, 'apps/web'),
      url: 'http://localhost:3000',
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env,
    },
  ],
});

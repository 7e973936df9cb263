import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig, devices } from '@playwright/test';
import { chromiumLaunchOptions } from '../../playwright.shared.ts';

/**
 * Browser tests against a production build (`next build` runs first: turbo's `test` depends on `build`) and a started
 * emulator. The ports are the defaults the build inlined (NEXT_PUBLIC_*) and the seed's redirect URIs name; if one is
 * taken, Playwright stops at once with "… is already used" rather than testing whatever holds it.
 */
const webUrl = 'http://localhost:3000';
const seedFile = join(mkdtempSync(join(tmpdir(), 'org-web-tests-')), 'seed.json');
const emulatorUrl = process.env.NEXT_PUBLIC_MEDPLUM_BASE_URL ?? 'http://localhost:8103/';

export default defineConfig({
  testDir: './tests',
  testMatch: '**/*.spec.ts',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  // A focused test (`test.only`) would silently drop every other spec: CI refuses it (Vitest does the same on its own).
  forbidOnly: Boolean(process.env.CI),
  // Generous: the machines this runs on are often busy (2 cores shared with builds).
  timeout: 90_000,
  expect: { timeout: 15_000 },
  outputDir: '.cache/playwright',
  reporter: [['list'], ['json', { outputFile: '.cache/test-results/playwright.json' }]],
  use: {
    baseURL: webUrl,
    trace: 'retain-on-failure',
    launchOptions: chromiumLaunchOptions,
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'], channel: undefined } }],
  webServer: [
    {
      // The same two CLIs as `pnpm dev`: the auth model's seed, with one-minute access tokens for the web client so
      // the refresh test proves something, then the emulator with Acme SSO. Every test signs in afresh from one IP,
      // so the auth rate limit is raised: Medplum's 160/min would throttle the suite, not a user.
      command: `node ../../packages/auth/src/provisioning/cli.ts seed --out ${seedFile} --access-token-lifetime web=1m && node ../../packages/medplum-emulator/src/cli.ts --seed ${seedFile}`,
      env: { EMULATOR_AUTH_RATE_LIMIT: '10000' },
      url: new URL('.well-known/openid-configuration', emulatorUrl).toString(),
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // Started once the emulator answers: first the lab catalogue the order form reads, published by the pipeline's
      // CLI as in `pnpm dev`, then the app. `node` directly, not `pnpm start`: Playwright can then stop the server.
      command:
        'node ../catalog-pipeline/src/cli.ts && node node_modules/next/dist/bin/next start --port 3000 --hostname 127.0.0.1',
      env: { MEDPLUM_BASE_URL: emulatorUrl },
      url: webUrl,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});

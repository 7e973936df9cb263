import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What one runner's JSON report adds to the closing line. */
export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

export const RESULTS_DIR = '.cache/test-results';

/** The runners a package has, by their config file, and the report each writes (vitest.shared.ts, playwright configs). */
export const RUNNERS = [
  { name: 'vitest', config: 'vitest.config.ts', report: 'vitest.json' },
  // The emulator's contract and conformance suites against a target that has only a project admin client.
  { name: 'vitest-real-medplum', config: 'vitest.real-medplum.config.ts', report: 'vitest-real-medplum.json' },
  { name: 'playwright', config: 'playwright.config.ts', report: 'playwright.json' },
] as const;
export type RunnerName = (typeof RUNNERS)[number]['name'];

export function runnersOf(packageDir: string): (typeof RUNNERS)[number][] {
  return RUNNERS.filter((runner) => existsSync(join(packageDir, runner.config)));
}

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { status: string; assertionResults: { status: string }[] }[];
}

interface PlaywrightReport {
  stats: { expected: number; unexpected: number; flaky: number; skipped: number };
  errors?: unknown[];
}

export function tallyReport(file: string): Tally {
  const report = JSON.parse(readFileSync(file, 'utf8')) as Partial<VitestReport & PlaywrightReport>;
  if (report.stats) {
    const { expected, unexpected, flaky, skipped } = report.stats;
    // Errors outside any test (a crashed webServer, a broken config) fail the run without failing a test.
    const globalErrors = report.errors?.length ? 1 : 0;
    return { passed: expected + flaky, failed: unexpected + globalErrors, skipped };
  }
  // A test file that failed to load has no failed assertions; count it, or a broken import would pass.
  const brokenFiles = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed')
  ).length;
  return {
    passed: report.numPassedTests ?? 0,
    failed: (report.numFailedTests ?? 0) + brokenFiles,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

/** The report of `runner` in `packageDir` if this run wrote (or turbo restored) it, else undefined. */
export function freshReport(packageDir: string, report: string, runStartedMs: number): string | undefined {
  const file = join(packageDir, RESULTS_DIR, report);
  return existsSync(file) && statSync(file).mtimeMs >= runStartedMs ? file : undefined;
}

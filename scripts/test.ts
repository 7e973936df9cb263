/**
 * `pnpm test`: every package's tests through turbo (cached per package), then one closing line that adds up every
 * suite — `N passed, N failed` (`, N skipped` when any) — read from the JSON reports the runners write into
 * `<package>/.cache/test-results/` (Vitest via vitest.shared.ts, Playwright via its json reporter). Turbo restores
 * those reports on a cache hit, so a cached run still counts every test. A package whose tests ran but left no report
 * counts as one failure: a suite that crashed before reporting must not look green.
 *
 * Extra arguments go to turbo, e.g. `pnpm test -- --filter @org/config` (pnpm's own `--filter` would skip this script).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const resultsDir = '.cache/test-results';

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

function workspacePackagesWithTests(): string[] {
  const dirs = ['apps', 'packages']
    .flatMap((group) =>
      existsSync(join(root, group)) ? readdirSync(join(root, group)).map((name) => join(root, group, name)) : []
    )
    .concat(join(root, 'e2e'));
  return dirs.filter((dir) => {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) return false;
    const { scripts } = JSON.parse(readFileSync(manifest, 'utf8')) as { scripts?: Record<string, string> };
    return Boolean(scripts?.test);
  });
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

function tallyReport(file: string): Tally {
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

// pnpm forwards a literal `--`; turbo would hand everything after it to the test runners.
const turboArgs = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--'));
const packages = workspacePackagesWithTests();
for (const dir of packages) rmSync(join(dir, resultsDir), { recursive: true, force: true });
// Only reports written (or restored from turbo's cache) by this run count; anything older is another run's.
const runStartedMs = Date.now() - 1_000;

const turbo = spawnSync('pnpm', ['exec', 'turbo', 'run', 'test', '--continue', ...turboArgs], {
  cwd: root,
  stdio: 'inherit',
});

const total: Tally = { passed: 0, failed: 0, skipped: 0 };
const missing: string[] = [];
for (const dir of packages) {
  const reportsDir = join(dir, resultsDir);
  const reports = existsSync(reportsDir)
    ? readdirSync(reportsDir).filter(
        (name) => name.endsWith('.json') && statSync(join(reportsDir, name)).mtimeMs >= runStartedMs
      )
    : [];
  if (reports.length === 0) {
    missing.push(relative(root, dir));
    continue;
  }
  for (const name of reports) {
    const tally = tallyReport(join(reportsDir, name));
    total.passed += tally.passed;
    total.failed += tally.failed;
    total.skipped += tally.skipped;
  }
}

const filtered = turboArgs.some((arg) => arg.startsWith('--filter') || arg.startsWith('-F'));
if (missing.length > 0 && !filtered) {
  console.error(
    `No test report from: ${missing.join(', ')} (their tests crashed or did not run); counted as failures.`
  );
  total.failed += missing.length;
}

const failedRun = turbo.status !== 0 || total.failed > 0;
if (turbo.status !== 0 && total.failed === 0) total.failed = 1; // turbo failed outside any counted test
console.log(`${total.passed} passed, ${total.failed} failed${total.skipped > 0 ? `, ${total.skipped} skipped` : ''}`);
process.exit(failedRun ? 1 : 0);

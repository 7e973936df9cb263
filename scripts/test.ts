/**
 * `pnpm test`: every package's tests through turbo (cached per package), then one closing line that adds up every
 * suite — `N passed, N failed` (`, N skipped` when any) — read from the JSON reports the runners write into
 * `<package>/.cache/test-results/` (Vitest via vitest.shared.ts, Playwright via its json reporter). Turbo restores
 * those reports on a cache hit, so a cached run still counts every test.
 *
 * A green line has to mean what it says, so before and after the run:
 * - every file outside the packages that a package's tests read (`.env.example`, `playwright.shared.ts`, …) must be an
 *   input of its `test` task, or turbo would replay a stale result after that file changed (checked before running);
 * - every runner a package has (a `vitest.config.ts`, a `playwright.config.ts`) must leave a report from this run: a
 *   runner that crashed counts as a failure even when the package's other runner passed — with `--filter` too;
 * - every runner must report at least the number of tests committed in `test-floors.json`: a test that vanishes (a
 *   deleted file, a broken glob, a suite that stopped loading) fails the run. Raise a floor when you add tests.
 *
 * Extra arguments go to turbo, e.g. `pnpm test -- --filter @org/config` (pnpm's own `--filter` would skip this script).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { freshReport, RESULTS_DIR, runnersOf, type Tally, tallyReport } from './test-run/reports.ts';
import { rootFilesReadBy } from './test-run/root-reads.ts';

const root = join(import.meta.dirname, '..');
const floorsFile = 'test-floors.json';

interface TestTask {
  dir: string;
  inputs: string[];
}

/** The `test` tasks this invocation runs (the filter applied), from turbo's own dry run. */
function testTasks(turboArgs: string[]): TestTask[] {
  const dry = spawnSync('pnpm', ['exec', 'turbo', 'run', 'test', '--dry=json', ...turboArgs], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (dry.status !== 0) {
    process.stderr.write(dry.stderr);
    finish({ passed: 0, failed: 1, skipped: 0 }, ['turbo could not plan the test run (see above).']);
  }
  const plan = JSON.parse(dry.stdout) as {
    tasks: { task: string; directory: string; resolvedTaskDefinition: { inputs?: string[] } }[];
  };
  return plan.tasks
    .filter((task) => task.task === 'test')
    .map((task) => ({ dir: join(root, task.directory), inputs: task.resolvedTaskDefinition.inputs ?? [] }));
}

function undeclaredRootReads(tasks: TestTask[]): string[] {
  const workspaceDirs = tasks.map((task) => task.dir);
  const globalInputs = new Set(['.env', '.env.local']);
  return tasks.flatMap((task) => {
    const declared = new Set(task.inputs.map((input) => relative(root, resolve(task.dir, input))));
    return [...rootFilesReadBy(task.dir, root, workspaceDirs)]
      .filter((file) => !declared.has(file) && !globalInputs.has(file))
      .map(
        (file) =>
          `${relative(root, task.dir)} reads ${file}, which is not an input of its test task: add "$TURBO_ROOT$/${file}" to tasks.test.inputs (turbo.json), or a change to it replays a stale result.`
      );
  });
}

function finish(total: Tally, problems: string[]): never {
  for (const problem of problems) console.error(problem);
  const failed = total.failed + problems.length;
  console.log(`${total.passed} passed, ${failed} failed${total.skipped > 0 ? `, ${total.skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
}

// pnpm forwards a literal `--`; turbo would hand everything after it to the test runners.
const turboArgs = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--'));
const tasks = testTasks(turboArgs);
const staleInputs = undeclaredRootReads(tasks);
if (staleInputs.length > 0) finish({ passed: 0, failed: 0, skipped: 0 }, staleInputs);

const floors = JSON.parse(readFileSync(join(root, floorsFile), 'utf8')) as Record<string, Record<string, number>>;
for (const task of tasks) rmSync(join(task.dir, RESULTS_DIR), { recursive: true, force: true });
// Only reports written (or restored from turbo's cache) by this run count; anything older is another run's.
const runStartedMs = Date.now() - 1_000;

const turbo = spawnSync('pnpm', ['exec', 'turbo', 'run', 'test', '--continue', ...turboArgs], {
  cwd: root,
  stdio: 'inherit',
});

const total: Tally = { passed: 0, failed: 0, skipped: 0 };
const problems: string[] = [];
for (const task of tasks) {
  const name = relative(root, task.dir);
  for (const runner of runnersOf(task.dir)) {
    const report = freshReport(task.dir, runner.report, runStartedMs);
    if (!report) {
      problems.push(`${name}: no ${runner.name} report from this run (the runner crashed or did not run).`);
      continue;
    }
    const tally = tallyReport(report);
    total.passed += tally.passed;
    total.failed += tally.failed;
    total.skipped += tally.skipped;
    const counted = tally.passed + tally.failed + tally.skipped;
    const floor = floors[name]?.[runner.name];
    if (floor === undefined) {
      problems.push(`${name}: no ${runner.name} floor in ${floorsFile}; commit one (it reported ${counted} tests).`);
    } else if (counted < floor) {
      problems.push(
        `${name}: ${runner.name} reported ${counted} tests, fewer than its floor of ${floor} in ${floorsFile}. A test vanished; if it was removed on purpose, lower the floor in the same change.`
      );
    }
  }
}
// turbo failed outside any counted test (a build, a crashed task): never a green line.
if (turbo.status !== 0 && total.failed === 0 && problems.length === 0) {
  problems.push('turbo failed outside any counted test (see its output above).');
}
finish(total, problems);

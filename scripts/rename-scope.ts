/**
 * `pnpm rename-scope @acme [--project "Acme Health"] [--systems https://fhir.acme.com] [--dry-run]`: makes this
 * repository yours. Rewrites, in every tracked text file, the `@org` package scope (package.json files, imports,
 * docs, tests, pnpm-lock.yaml), the base of the identifier systems the auth model writes, and the name of the Medplum
 * Project it provisions; then reinstalls offline (relinking the workspace under the new names and checking the
 * lockfile), re-sorts imports with Biome, type-checks `<scope>/auth` and runs the unit tests of `<scope>/config`.
 *
 * It refuses to run on a tree with uncommitted changes, so `git restore . && pnpm install` undoes it.
 * Kept on purpose, as none is a name others see: the toolchain cache folder `~/.cache/org-medplum-toolchain` (pnpmw;
 * renaming it would only download Node and pnpm again) and the `org-…` labels that separate derived values
 * (`org-proxy-session` in the proxy's cookie key, `org-device/1` in the analyzer's result ids; renaming them would
 * only change those values) or name temporary folders.
 * Exit codes: 0 done and checked, 1 a check failed after renaming, 2 nothing done (bad arguments, dirty tree).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CURRENT,
  defaultProjectName,
  defaultSystemBase,
  projectNameProblem,
  type RenameOptions,
  renamings,
  scopeProblem,
  systemBaseProblem,
} from './rename-scope/plan.ts';
import { type FileChange, gitRoot, rewriteTree, uncommittedChanges } from './rename-scope/tree.ts';

const USAGE = 'usage: pnpm rename-scope <@scope> [--project "<name>"] [--systems <base url>] [--dry-run]';

function refuse(message: string): never {
  console.error(`rename-scope: ${message}`);
  process.exit(2);
}

function parseCommandLine() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        scope: { type: 'string' },
        project: { type: 'string' },
        systems: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    refuse(`${(error as Error).message}\n${USAGE}`);
  }
}

function readOptions(): RenameOptions & { dryRun: boolean } {
  const { values, positionals } = parseCommandLine();
  const scope = values.scope ?? positionals[0];
  if (scope === undefined || positionals.length > (values.scope ? 0 : 1)) refuse(USAGE);
  const options = {
    scope,
    projectName: values.project ?? defaultProjectName(scope),
    systemBase: values.systems ?? defaultSystemBase(scope),
    dryRun: values['dry-run'],
  };
  const problem =
    scopeProblem(scope) ?? projectNameProblem(options.projectName) ?? systemBaseProblem(options.systemBase);
  if (problem) refuse(problem);
  if (scope === CURRENT.scope) refuse(`the scope is already ${scope}`);
  return options;
}

/** Runs one pnpm step in `root`; prints its tail only when it fails. */
function step(root: string, name: string, args: string[]): boolean {
  const started = performance.now();
  const result = spawnSync('pnpm', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ok = result.status === 0;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`  ${ok ? 'ok    ' : 'FAILED'} ${name} (${seconds} s)`);
  if (!ok) console.log(`${result.stdout}${result.stderr}`.trim().split('\n').slice(-40).join('\n'));
  return ok;
}

/** Reinstall, format and the quick subset; stops at the first failure (what follows would only repeat it). */
function checkRenamedTree(root: string, scope: string, changes: FileChange[]): boolean {
  const lockfile = join(root, 'pnpm-lock.yaml');
  const lockBefore = readFileSync(lockfile, 'utf8');
  const installed =
    step(root, 'pnpm install --offline (workspace relinked under the new names)', ['install', '--offline']) ||
    step(root, 'pnpm install --prefer-offline (the store lacked a package)', ['install', '--prefer-offline']);
  if (!installed) return false;
  const lockNote =
    readFileSync(lockfile, 'utf8') === lockBefore ? 'renamed in place, unchanged by pnpm' : 'updated by pnpm';
  console.log(`         pnpm-lock.yaml: ${lockNote}`);
  const code = changes.map((change) => change.file).filter((file) => /\.(ts|tsx|js|mjs|json|css)$/.test(file));
  const biomeArgs = ['exec', 'biome', 'check', '--write', '--no-errors-on-unmatched', ...code];
  return (
    step(root, 'biome check --write (imports re-sorted for the new scope)', biomeArgs) &&
    step(root, `typecheck ${scope}/auth`, ['--filter', `${scope}/auth`, 'run', 'typecheck']) &&
    step(root, `unit tests of ${scope}/config`, ['--filter', `${scope}/config`, 'run', 'test'])
  );
}

const options = readOptions();
const root = gitRoot(process.cwd());
const dirty = uncommittedChanges(root);
if (!options.dryRun && dirty.length > 0) {
  refuse(`commit or stash your changes first, so that git can undo the rename (${dirty.length} uncommitted paths)`);
}
const plan = renamings(options);
const changes = rewriteTree(root, plan, !options.dryRun);
console.log(`rename-scope${options.dryRun ? ' (dry run, nothing written)' : ''}:`);
plan.forEach((renaming, index) => {
  const count = changes.reduce((sum, change) => sum + (change.counts[index] ?? 0), 0);
  console.log(`  ${renaming.what}: ${renaming.from} → ${renaming.replacement} (${count} replacements)`);
});
console.log(`  ${changes.length} files ${options.dryRun ? 'would change' : 'changed'}`);
if (options.dryRun) {
  for (const change of changes) console.log(`    ${change.file} ${change.counts.join('/')}`);
  process.exit(0);
}
const checked = checkRenamedTree(root, options.scope, changes);
console.log(checked ? 'rename-scope: done. Review with git diff; commit it.' : 'rename-scope: checks failed (above).');
console.log('  undo: git restore . && pnpm install');
process.exitCode = checked ? 0 : 1;

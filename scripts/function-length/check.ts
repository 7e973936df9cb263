/**
 * "No source function over ~80 lines", as a check `pnpm test` runs (CI runs tests, not `pnpm lint`). Biome's
 * `complexity/noExcessiveLinesPerFunction` does the counting; the root biome.json turns it on, at 80 lines without
 * blank ones, for source (`src/`, `scripts/`) and not for tests. This runs Biome with that rule alone.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const RULE = 'lint/complexity/noExcessiveLinesPerFunction';
const repositoryRoot = join(import.meta.dirname, '..', '..');
const biome = join(repositoryRoot, 'node_modules', '.bin', 'biome');

/** One function over the limit: where it starts (`path:line`), and Biome's message, which says how many lines it has. */
export interface LongFunction {
  at: string;
  message: string;
}

interface BiomeReport {
  diagnostics: {
    category?: string;
    severity?: string;
    location?: { path?: string; start?: { line?: number } };
    message?: string;
  }[];
}

/**
 * The functions over the limit under `root` (a directory holding the biome.json to apply; the repository by default),
 * as reported with the configured options and severity (only where the configuration makes the rule an error).
 */
export function longFunctions(root: string = repositoryRoot): LongFunction[] {
  const result = spawnSync(
    biome,
    [
      'lint',
      `--only=${RULE.replace(/^lint\//, '')}`,
      '--diagnostic-level=error',
      '--max-diagnostics=none',
      '--reporter=json',
      '.',
    ],
    { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }
  );
  if (result.error) throw result.error;
  const report = parseReport(result.stdout, result.stderr);
  return report.diagnostics
    .filter((diagnostic) => diagnostic.category === RULE && diagnostic.severity === 'error')
    .map((diagnostic) => ({
      at: `${diagnostic.location?.path ?? '?'}:${diagnostic.location?.start?.line ?? '?'}`,
      message: diagnostic.message ?? '',
    }));
}

/** Biome's JSON reporter (experimental in Biome 2, pinned by the catalog): stdout is one JSON document. */
function parseReport(stdout: string, stderr: string): BiomeReport {
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`biome printed no report: ${stderr || stdout}`);
  return JSON.parse(stdout.slice(start)) as BiomeReport;
}

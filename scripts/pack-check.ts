/**
 * `pnpm pack-check`: builds, packs and installs `@org/auth` and `@org/config` as a registry consumer would, then
 * imports every published entry (see pack-check/check.ts). One line per problem, exit code 1 when there is any.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packCheck, packCheckProblems } from './pack-check/check.ts';

const started = performance.now();
const workDir = mkdtempSync(join(tmpdir(), 'pack-check-'));
try {
  const result = packCheck(workDir);
  const problems = packCheckProblems(result);
  for (const problem of problems) console.error(problem);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `pack-check: ${result.entries.length} entries of ${result.packed.map((pkg) => pkg.name).join(', ')}, ${problems.length} problems (${seconds} s)`
  );
  process.exitCode = problems.length > 0 ? 1 : 0;
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

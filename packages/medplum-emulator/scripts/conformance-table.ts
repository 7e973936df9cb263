/**
 * Prints the conformance table of the README from the suite's last run (`.cache/test-results/vitest.json`, written by
 * `pnpm test`) and test/conformance/coverage.ts: per Medplum test file, its cases, how many are ported, how many of
 * those passed, and what is not ported and why. Run `pnpm test` first, then paste the output into README.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COVERAGE } from '../test/conformance/coverage.ts';

interface Report {
  testResults: { assertionResults: { ancestorTitles: string[]; status: string }[] }[];
}

const report = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '.cache', 'test-results', 'vitest.json'), 'utf8')
) as Report;
const results = report.testResults.flatMap((file) => file.assertionResults);

const rows = COVERAGE.map((entry) => {
  const prefix = `${entry.file}@${entry.commit ? entry.commit.slice(0, 12) : 'newer-revision'}`;
  const cases = results.filter((result) => result.ancestorTitles[0]?.startsWith(prefix));
  const passed = cases.filter((result) => result.status === 'passed').length;
  const notPorted = entry.notPorted.reduce((sum, group) => sum + group.count, 0);
  const why = entry.notPorted.map((group) => `${group.count}: ${group.why}`).join('; ') || '—';
  const file = entry.file.replace('packages/server/src/', '');
  const commit = entry.commit ? `\`${entry.commit.slice(0, 12)}\`` : 'none kept';
  const line = `| ${file} | ${commit} | ${entry.cases} | ${cases.length} | ${passed} | ${notPorted ? why : '—'} |`;
  return { line, file, cases: cases.length, passed, note: entry.note };
});

const ported = rows.reduce((sum, row) => sum + row.cases, 0);
const passing = rows.reduce((sum, row) => sum + row.passed, 0);
const lines = [
  '| Medplum test file (`packages/server/src/`) | commit read | cases | ported | passing | not ported (count: why) |',
  '| --- | --- | ---: | ---: | ---: | --- |',
  ...rows.map((row) => row.line),
  `| **total** | | | **${ported}** | **${passing}** | |`,
];
process.stdout.write(`${lines.join('\n')}\n`);
const notes = rows.filter((row) => row.note).map((row) => `- ${row.file}: ${row.note}`);
if (notes.length > 0) process.stdout.write(`\n${notes.join('\n')}\n`);

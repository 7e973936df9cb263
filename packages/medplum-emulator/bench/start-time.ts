/**
 * `pnpm bench`: how long the emulator takes to start, in fresh Node processes (module loading, FHIR definitions,
 * signing key, listening), measured from process start to `startEmulator` resolving. Prints every run and the median.
 * Timing is measured here and never asserted in tests. `--json FILE` also writes the figures (for `pnpm bench`).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);

if (process.argv[2] === '--child') {
  const { startEmulator } = await import('../src/index.ts');
  const emulator = await startEmulator({ port: 0, log: () => {} });
  const elapsed = performance.now();
  await emulator.stop();
  process.stdout.write(String(Math.round(elapsed)));
} else {
  const self = fileURLToPath(import.meta.url);
  const times: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const ms = Number(execFileSync(process.execPath, [self, '--child'], { encoding: 'utf8' }));
    times.push(ms);
    process.stdout.write(`run ${run}: ${ms} ms\n`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  process.stdout.write(`median start time over ${RUNS} runs: ${median} ms (target: under 3000 ms)\n`);
  const { values } = parseArgs({ options: { json: { type: 'string' } } });
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ runs: RUNS, times, medianMs: median }, null, 2)}\n`);
}

import type { Reporter, TestModule } from 'vitest/node';
import { SEED_BOUND } from './seed-bound-reasons.ts';

/**
 * Ends a run against a real Medplum with the cases that stayed seed-bound, grouped by reason (see ./seed-bound-reasons.ts), so
 * the person running it sees what the run did not check and why. Silent when there are none (against the emulator).
 */
export default class SeedBoundReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const byReason = new Map<string, string[]>();
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        if (test.result().state !== 'skipped') continue;
        const reason = Object.values(SEED_BOUND).find((text) => test.fullName.includes(`(seed-bound: ${text})`));
        if (!reason) continue;
        const name = `${module.relativeModuleId} › ${test.fullName.replace(` (seed-bound: ${reason})`, '')}`;
        byReason.set(reason, [...(byReason.get(reason) ?? []), name]);
      }
    }
    if (byReason.size === 0) return;
    const total = [...byReason.values()].reduce((sum, cases) => sum + cases.length, 0);
    const lines = [`${total} cases stayed seed-bound (they run against the emulator only):`];
    for (const [reason, cases] of [...byReason].sort((a, b) => b[1].length - a[1].length)) {
      lines.push(`${cases.length} ${reason}:`, ...cases.map((name) => `  ${name}`));
    }
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }
}

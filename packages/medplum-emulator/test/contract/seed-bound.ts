/**
 * `describe` and `it` for contract cases that need what a project admin cannot provision on a real Medplum (the reasons
 * are in ./seed-bound-reasons.ts): skipped there, named with their reason; unchanged against the emulator.
 */
import { describe, it, type TestFunction } from 'vitest';
import { type SeedBoundReason, seedBoundName } from './seed-bound-reasons.ts';
import { againstRealMedplum } from './target.ts';

export { SEED_BOUND, type SeedBoundReason, seedBoundName } from './seed-bound-reasons.ts';

/** Against the emulator the name stays as it is. */
const nameFor = (name: string, reason: SeedBoundReason) => (againstRealMedplum ? seedBoundName(name, reason) : name);

/** A `describe` whose cases all need the emulator's seed or options: skipped against a real Medplum. */
export function describeSeedBound(reason: SeedBoundReason, name: string, body: () => void): void {
  describe.skipIf(againstRealMedplum)(nameFor(name, reason), body);
}

/** An `it` that needs the emulator's seed or options: skipped against a real Medplum. */
export function itSeedBound(reason: SeedBoundReason, name: string, body: TestFunction): void {
  it.skipIf(againstRealMedplum)(nameFor(name, reason), body);
}

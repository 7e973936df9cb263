import { describe, it } from 'vitest';
import { type SeedBoundReason, seedBoundName } from '../contract/seed-bound-reasons.ts';
import { againstRealMedplum } from '../contract/target.ts';

/**
 * The conformance suite: cases ported from Medplum's own server tests (behaviour only, observable over HTTP), each
 * named after the Medplum test it mirrors. Medplum's tests are the specification; where the emulator and a ported case
 * disagree, the emulator is wrong.
 *
 * A file declares the Medplum test file it mirrors and the commit of that file that was read:
 *
 *   const medplum = mirrorOf('packages/server/src/oauth/token.test.ts', '5989784468…');
 *   medplum.describe(() => {
 *     medplum.it('Token for client credentials success', async () => { … });
 *     medplum.it('Login revoked', { seedBound: SEED_BOUND.login }, async () => { … });
 *   });
 *
 * Test names read `<Medplum test file>@<commit> › mirrors "<Medplum test name>"`, so a report names what each case
 * follows. Against a real Medplum every case provisions its seed through the project's admin API (see
 * ../contract/target.ts); a `seedBound` case needs what no project admin can create and is skipped there, its reason
 * in its name.
 */
export interface MirrorOptions {
  /** Why the case cannot provision what it needs on a real Medplum: it is skipped there with this reason. */
  seedBound?: SeedBoundReason;
  /**
   * Work in progress only (none may stay on main): the emulator is known to deviate here, the fix is pending in a file
   * the author of the case does not own. The case runs as `it.fails`, so it turns red the moment the fix lands.
   */
  knownDeviation?: string;
}

type TestBody = () => Promise<void> | void;

export interface MedplumTestFile {
  file: string;
  commit: string;
  describe(body: () => void): void;
  it(medplumTestName: string, body: TestBody): void;
  it(medplumTestName: string, options: MirrorOptions, body: TestBody): void;
}

export function mirrorOf(file: string, commit: string): MedplumTestFile {
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`mirrorOf(${file}): the commit read must be 40 hex digits`);
  return {
    file,
    commit,
    describe: (body) => describe(`${file}@${commit.slice(0, 12)}`, body),
    it(medplumTestName: string, optionsOrBody: MirrorOptions | TestBody, maybeBody?: TestBody) {
      const options = typeof optionsOrBody === 'function' ? {} : optionsOrBody;
      const body = typeof optionsOrBody === 'function' ? optionsOrBody : (maybeBody as TestBody);
      const name = `mirrors "${medplumTestName}"`;
      if (options.seedBound && againstRealMedplum) {
        it.skip(seedBoundName(name, options.seedBound), body);
      } else if (options.knownDeviation) {
        it.fails(`${name} (known deviation: ${options.knownDeviation})`, body);
      } else {
        it(name, body);
      }
    },
  };
}

import { describe, it } from 'vitest';
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
 *     medplum.it('Refresh token rotation', { needsSeed: true }, async () => { … });
 *   });
 *
 * Test names read `<Medplum test file>@<commit> › mirrors "<Medplum test name>"`, so a report names what each case
 * follows. `needsSeed` cases run only against the emulator (they need test/fixtures/seed.ts); against a real Medplum
 * they are skipped with that reason in their name.
 */
export interface MirrorOptions {
  /** The case needs the fixture's users, clients or policies, or an emulator option: skipped against a real Medplum. */
  needsSeed?: boolean;
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
      if (options.needsSeed && againstRealMedplum) {
        it.skip(`${name} (skipped: needs the seed of test/fixtures/seed.ts)`, body);
      } else if (options.knownDeviation) {
        it.fails(`${name} (known deviation: ${options.knownDeviation})`, body);
      } else {
        it(name, body);
      }
    },
  };
}

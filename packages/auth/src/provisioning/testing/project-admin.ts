import type { Bundle } from '@medplum/fhirtypes';
import { startEmulator } from '@org/medplum-emulator';
import { signInAsClient } from '../../testing/sign-in.ts';
import type { ProjectAdmin } from '../dev-admin.ts';

export { type ProjectAdmin, projectAdminEntries } from '../dev-admin.ts';

/** Starts the emulator (free port) with `seed`, and a client signed in to it as `admin` (client credentials). */
export async function startEmulatorAsAdmin(seed: Bundle, admin: ProjectAdmin) {
  const emulator = await startEmulator({ port: 0, seed, authRateLimit: 100_000, log: () => {} });
  try {
    return {
      emulator,
      admin: await signInAsClient(emulator.url, { clientId: admin.clientId, clientSecret: admin.secret }),
    };
  } catch (error) {
    await emulator.stop();
    throw error;
  }
}

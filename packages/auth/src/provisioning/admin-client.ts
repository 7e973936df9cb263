import { ClientStorage, MedplumClient, MemoryStorage, normalizeErrorString } from '@medplum/core';

/** What every admin command prints when the project-admin credentials are missing. */
export const MISSING_ADMIN_CREDENTIALS =
  'needs a project-admin ClientApplication of the target project:\n' +
  '  MEDPLUM_ADMIN_CLIENT_ID    its id\n  MEDPLUM_ADMIN_CLIENT_SECRET  its secret\n' +
  '(in the environment or .env.local; create it in the Medplum app under Project Admin > Clients and make its membership admin).\n' +
  'Only a Medplum on this machine is tried without them, with the dev admin that the seed of `pnpm dev` gives its emulator.';

/** Added to a refused sign-in when the admin was the local default (see `chooseAdmin` in cli-env.ts). */
export const DEV_ADMIN_TRIED =
  "(no MEDPLUM_ADMIN_CLIENT_ID set: tried the dev admin, which only the seed of `pnpm dev`'s emulator holds)";

/**
 * A MedplumClient signed in as the project-admin ClientApplication (client credentials, in-memory storage, no cache).
 * Fails with one line naming the server: unreachable, or credentials refused.
 */
export async function signInAsAdmin(
  medplumBaseUrl: string,
  admin: { clientId: string; clientSecret: string }
): Promise<MedplumClient> {
  const medplum = new MedplumClient({
    baseUrl: medplumBaseUrl,
    clientId: admin.clientId,
    storage: new ClientStorage(new MemoryStorage()),
    cacheTime: 0,
  });
  try {
    await medplum.startClientLogin(admin.clientId, admin.clientSecret);
  } catch (error) {
    throw new Error(`could not sign in to ${medplumBaseUrl} as the admin client: ${normalizeErrorString(error)}`);
  }
  return medplum;
}

import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { startEmulator } from '@org/medplum-emulator';
import { signInAsClient } from '../../testing/sign-in.ts';

/** A client application that provisioning signs in as in tests: a project admin, without an access policy. */
export interface ProjectAdmin {
  clientId: string;
  membershipId: string;
  name: string;
  secret: string;
}

/** Seed entries for `admin` in the project: its ClientApplication and its admin ProjectMembership. */
export function projectAdminEntries(projectId: string, admin: ProjectAdmin): BundleEntry[] {
  return [
    {
      resource: {
        resourceType: 'ClientApplication',
        id: admin.clientId,
        meta: { project: projectId },
        name: admin.name,
        secret: admin.secret,
        status: 'active',
      },
    },
    {
      resource: {
        resourceType: 'ProjectMembership',
        id: admin.membershipId,
        meta: { project: projectId },
        project: { reference: `Project/${projectId}` },
        user: { reference: `ClientApplication/${admin.clientId}` },
        profile: { reference: `ClientApplication/${admin.clientId}` },
        admin: true,
      },
    },
  ];
}

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

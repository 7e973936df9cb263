import type { BundleEntry } from '@medplum/fhirtypes';
import { nameUuid } from './ids.ts';

/** A project-admin ClientApplication: what `provision` and the device fleet commands sign in as. */
export interface ProjectAdmin {
  clientId: string;
  membershipId: string;
  name: string;
  secret: string;
}

/**
 * The local emulator's project admin, so `pnpm device:*` and `pnpm medplum:provision` (which `pnpm dev` runs on every
 * start) work on `pnpm dev` from a fresh clone without any setting. It is written into the emulator's seed only (never
 * provisioned on a real Medplum, where the admin client is created by hand in the Medplum app), and used only when
 * MEDPLUM_BASE_URL is a loopback address and no admin is configured (`chooseAdmin` in cli-env.ts).
 */
export const DEV_ADMIN: ProjectAdmin = {
  clientId: nameUuid('ClientApplication/dev-admin'),
  membershipId: nameUuid('ProjectMembership/dev-admin'),
  name: 'Dev project admin (local emulator only: device fleet, catalogue pipeline)',
  secret: 'dev-admin-secret-local-emulator-only',
};

/** Seed entries for `admin` in the project: its ClientApplication and its admin ProjectMembership (no policy). */
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

/**
 * The legacy clinic app's own users. This identity belongs to the legacy app, not to Medplum: Medplum never sees these
 * passwords. Each user is mapped to a Medplum ProjectMembership; the proxy sends that membership in
 * `X-Medplum-On-Behalf-Of`, so Medplum applies the membership's AccessPolicy and records its profile in
 * `meta.onBehalfOf`.
 */
import { MODEL_KEYS, SEED_IDS } from '@org/auth/ids';
import type { ProxyConfig } from '../config.ts';
import { hashPassword, verifyPassword } from './password.ts';

export interface MedplumIdentity {
  /** `ProjectMembership/<id>`: what the proxy sends as `X-Medplum-On-Behalf-Of`. */
  membership: string;
  /**
   * The membership's key in the auth model of `@org/auth/provisioning` (e.g. `membership/dev`). When set, sign-in looks
   * the membership up by its provisioning tag, so the mapping also holds on a real Medplum where `pnpm
   * medplum:provision` created it under a server-chosen id; `membership`/`profile` are then only the fallback.
   */
  provisioningKey?: string;
  /** `Practitioner/<id>`: the membership's profile; what Medplum writes into `meta.onBehalfOf`. */
  profile: string;
  /** Shown in the pages. */
  profileDisplay: string;
}

export interface LegacyUser {
  username: string;
  displayName: string;
  /** What this user does at the clinic, shown on the pages. */
  role: string;
  medplum: MedplumIdentity;
}

interface StoredUser extends LegacyUser {
  passwordHash: string;
}

export interface UserSeed extends LegacyUser {
  password: string;
}

export interface UserStore {
  /** The user when the password matches, else undefined (same work done for unknown names). */
  authenticate(username: string, password: string): Promise<LegacyUser | undefined>;
  get(username: string): LegacyUser | undefined;
}

export async function createUserStore(seeds: readonly UserSeed[], cost?: number): Promise<UserStore> {
  const users = new Map<string, StoredUser>();
  for (const { password, ...user } of seeds) {
    users.set(user.username.toLowerCase(), { ...user, passwordHash: await hashPassword(password, cost) });
  }
  // Unknown user names are checked against this hash too, so response time does not reveal which names exist.
  const dummyHash = await hashPassword('not-a-password', cost);

  const publicView = ({ passwordHash: _omit, ...user }: StoredUser): LegacyUser => user;
  return {
    async authenticate(username, password) {
      const user = users.get(username.trim().toLowerCase());
      const ok = await verifyPassword(password, user?.passwordHash ?? dummyHash);
      return user && ok ? publicView(user) : undefined;
    },
    get(username) {
      const user = users.get(username.toLowerCase());
      return user ? publicView(user) : undefined;
    },
  };
}

/**
 * The seeded dev users, mapped to memberships of the emulator's seed (`@org/auth/provisioning`). Both share
 * LEGACY_DEV_PASSWORD. Against a real Medplum the mapping comes from wherever the legacy app keeps its users.
 */
export function devUsers(config: Pick<ProxyConfig, 'LEGACY_DEV_USERNAME' | 'LEGACY_DEV_PASSWORD'>): UserSeed[] {
  return [
    {
      username: config.LEGACY_DEV_USERNAME,
      password: config.LEGACY_DEV_PASSWORD,
      displayName: 'Dr. Dana Whitfield',
      role: 'Clinician: patients, lab results and notes',
      medplum: {
        membership: `ProjectMembership/${SEED_IDS.practitionerMembership}`,
        provisioningKey: MODEL_KEYS.practitionerMembership,
        profile: `Practitioner/${SEED_IDS.practitioner}`,
        profileDisplay: 'Dr. Dana Whitfield',
      },
    },
    {
      username: config.LEGACY_DEV_USERNAME.toLowerCase() === 'reception' ? 'front-desk' : 'reception',
      password: config.LEGACY_DEV_PASSWORD,
      displayName: 'Robin Reyes',
      role: 'Reception: the patient list only (Medplum policy "Reception")',
      medplum: {
        membership: `ProjectMembership/${SEED_IDS.receptionistMembership}`,
        provisioningKey: MODEL_KEYS.receptionistMembership,
        profile: `Practitioner/${SEED_IDS.receptionist}`,
        profileDisplay: 'Robin Reyes',
      },
    },
  ];
}

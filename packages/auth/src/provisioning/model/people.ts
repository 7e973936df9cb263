import type { AccessPolicy, Patient, Practitioner, ProjectMembership, User } from '@medplum/fhirtypes';
import bcrypt from 'bcryptjs';
import { MODEL_KEYS, SEED_IDS, SYSTEMS } from '../../ids.ts';
import { byIdentifier, entry, type ModelEntry, projectMeta, projectRef, ref, tag } from './entries.ts';
import type { AuthModelOptions } from './options.ts';

const K = MODEL_KEYS;

const PATIENTS = [
  [K.patientMaria, SEED_IDS.patientMaria, 'MRN-0001', 'Maria', 'Garcia', 'female', '1984-03-12'],
  [K.patientJames, SEED_IDS.patientJames, 'MRN-0002', 'James', 'Okafor', 'male', '1959-11-02'],
] as const;

/** Two demo patients, found on a real Medplum by their MRN. */
export function demoPatients(): ModelEntry[] {
  return PATIENTS.map(([key, id, value, given, family, gender, birthDate]) =>
    entry<Patient>({
      key,
      via: 'fhir',
      match: byIdentifier('Patient', SYSTEMS.patient, value),
      resource: {
        resourceType: 'Patient',
        id,
        meta: projectMeta(key),
        identifier: [{ system: SYSTEMS.patient, value }],
        active: true,
        name: [{ given: [given], family }],
        gender,
        birthDate,
      },
    })
  );
}

interface Person {
  keys: { practitioner: string; user: string; membership: string };
  ids: { practitioner: string; user: string; membership: string };
  /** Practitioner.identifier value in {@link SYSTEMS}.practitioner. */
  identifier: string;
  firstName: string;
  lastName: string;
  prefix?: string;
  email: string;
  /** Without one the user cannot sign in (only be acted for). */
  password?: string;
  passwordHash?: string;
  accessPolicyId: string;
}

/** A Medplum user: the Practitioner `provision` invites, the User and ProjectMembership the invite creates. */
function person(p: Person, projectName: string | undefined): ModelEntry[] {
  const displayName = `${p.prefix ? `${p.prefix} ` : ''}${p.firstName} ${p.lastName}`;
  return [
    entry<Practitioner>({
      key: p.keys.practitioner,
      via: 'invite',
      membershipKey: p.keys.membership,
      ...(p.password ? { password: p.password } : {}),
      match: byIdentifier('Practitioner', SYSTEMS.practitioner, p.identifier),
      resource: {
        resourceType: 'Practitioner',
        id: p.ids.practitioner,
        meta: projectMeta(p.keys.practitioner),
        identifier: [{ system: SYSTEMS.practitioner, value: p.identifier }],
        active: true,
        name: [{ given: [p.firstName], family: p.lastName, ...(p.prefix ? { prefix: [p.prefix] } : {}) }],
        telecom: [{ system: 'email', use: 'work', value: p.email }],
      },
    }),
    entry<User>({
      key: p.keys.user,
      via: 'dependent',
      serverOwned: ['passwordHash'],
      resource: {
        resourceType: 'User',
        id: p.ids.user,
        meta: tag(p.keys.user),
        firstName: p.firstName,
        lastName: p.lastName,
        email: p.email,
        emailVerified: true,
        ...(p.passwordHash ? { passwordHash: p.passwordHash } : {}),
      },
    }),
    entry<ProjectMembership>({
      key: p.keys.membership,
      via: 'dependent',
      resource: {
        resourceType: 'ProjectMembership',
        id: p.ids.membership,
        meta: projectMeta(p.keys.membership),
        project: projectRef(projectName),
        user: ref<User>('User', p.ids.user, p.email),
        profile: ref<Practitioner>('Practitioner', p.ids.practitioner, displayName),
        accessPolicy: ref<AccessPolicy>('AccessPolicy', p.accessPolicyId),
      },
    }),
  ];
}

/** The dev practitioner (signs in to the web app) and a receptionist the proxy acts for with a narrow policy. */
export function practitioners(options: AuthModelOptions): ModelEntry[] {
  const email = options.devUser.email.toLowerCase();
  // Plus-addressed from the dev practitioner's email: on a real Medplum an invite links whichever *global* user has
  // this address, so it must be an address the same person controls.
  const [local, domain] = email.split('@');
  return [
    ...person(
      {
        keys: { practitioner: K.practitioner, user: K.practitionerUser, membership: K.practitionerMembership },
        ids: {
          practitioner: SEED_IDS.practitioner,
          user: SEED_IDS.practitionerUser,
          membership: SEED_IDS.practitionerMembership,
        },
        identifier: 'dev-practitioner',
        firstName: 'Dana',
        lastName: 'Whitfield',
        prefix: 'Dr.',
        email,
        password: options.devUser.password,
        passwordHash: bcrypt.hashSync(options.devUser.password, options.bcryptRounds ?? 10),
        accessPolicyId: SEED_IDS.practitionerPolicy,
      },
      options.projectName
    ),
    ...person(
      {
        keys: { practitioner: K.receptionist, user: K.receptionistUser, membership: K.receptionistMembership },
        ids: {
          practitioner: SEED_IDS.receptionist,
          user: SEED_IDS.receptionistUser,
          membership: SEED_IDS.receptionistMembership,
        },
        identifier: 'reception',
        firstName: 'Robin',
        lastName: 'Reyes',
        email: `${local}+reception@${domain}`,
        // No password: this user exists to be acted for (on-behalf-of) by the proxy with a narrow policy.
        accessPolicyId: SEED_IDS.receptionPolicy,
      },
      options.projectName
    ),
  ];
}

import { randomUUID } from 'node:crypto';
import type { Bundle, Practitioner, Resource, User } from '@medplum/fhirtypes';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, expect } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { basic, startTarget } from '../contract/target.ts';
import { alice, buildSeed, PROJECT_ID, provisionedLike } from '../fixtures/seed.ts';
import { passwordTokens } from './harness.ts';
import { mirrorOf } from './mirror.ts';

interface TestUser {
  userId: string;
  practitionerId: string;
  email: string;
  password: string;
}

/** One practitioner per case that edits its own profile, so the cases do not see each other's changes. */
const users: Record<string, TestUser> = Object.fromEntries(
  ['profileEmail', 'phone', 'address', 'empty', 'full'].map((name) => [
    name,
    {
      userId: randomUUID(),
      practitionerId: randomUUID(),
      email: `${name.toLowerCase()}-${randomUUID()}@example.com`,
      password: randomUUID(),
    },
  ])
);
provisionedLike(...Object.values(users));

function extendedSeed(): Bundle {
  const seed = buildSeed();
  const meta = { project: PROJECT_ID };
  const project = { reference: `Project/${PROJECT_ID}` };
  for (const [name, user] of Object.entries(users)) {
    const resources: Resource[] = [
      {
        resourceType: 'User',
        id: user.userId,
        meta,
        firstName: 'Profile',
        lastName: 'User',
        email: user.email,
        passwordHash: bcrypt.hashSync(user.password, 4),
        project,
      },
      {
        resourceType: 'Practitioner',
        id: user.practitionerId,
        meta,
        name: [{ given: ['Profile'], family: 'User' }],
        telecom: [{ system: 'email', value: user.email }],
      },
      {
        resourceType: 'ProjectMembership',
        id: randomUUID(),
        meta,
        project,
        user: { reference: `User/${user.userId}` },
        profile: { reference: `Practitioner/${user.practitionerId}`, display: name },
      },
    ];
    seed.entry?.push(...resources.map((resource) => ({ resource })));
  }
  return seed;
}

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget({ seed: extendedSeed() });
});
afterAll(() => target.stop());

function signIn(
  email: string,
  password: string,
  scope = 'openid profile email phone address'
): Promise<Record<string, unknown>> {
  return passwordTokens(target, { email, password, scope });
}

async function userinfo(accessToken: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${target.baseUrl}oauth2/userinfo`, {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function fhir(accessToken: string, method: string, path: string, type: string, body: unknown) {
  const response = await fetch(`${target.baseUrl}fhir/R4/${path}`, {
    method,
    headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': type },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Resource };
}

const medplum = mirrorOf('packages/server/src/oauth/userinfo.int.test.ts', '92f124a68613c287a4afb4bb5c58183c1a21fe60');

medplum.describe(() => {
  medplum.it('Get userinfo with user email', async () => {
    const tokens = await signIn(alice.email, alice.password);
    const { status, body } = await userinfo(tokens.access_token as string);
    expect(status).toBe(200);
    expect(body.sub).toBeDefined();
    expect(body.profile).toBeDefined();
    expect(body.name).toBe('Alice Smith');
    expect(body.given_name).toBe('Alice');
    expect(body.family_name).toBe('Smith');
    expect(body.email).toBe(alice.email);
  });

  medplum.it('Get userinfo with profile email', { seedBound: SEED_BOUND.users }, async () => {
    const user = users.profileEmail as TestUser;
    const tokens = await signIn(user.email, user.password);
    // Clear the User's email (as a project admin: Users are admin resources).
    const admin = basic(target.client.id, target.client.secret);
    const current = (await (
      await fetch(`${target.baseUrl}fhir/R4/User/${user.userId}`, { headers: { Authorization: admin } })
    ).json()) as User;
    const { email: _email, ...withoutEmail } = current;
    const update = await fetch(`${target.baseUrl}fhir/R4/User/${user.userId}`, {
      method: 'PUT',
      headers: { Authorization: admin, 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify(withoutEmail),
    });
    expect(update.status).toBe(200);
    const { status, body } = await userinfo(tokens.access_token as string);
    expect(status).toBe(200);
    expect(body.sub).toBeDefined();
    expect(body.profile).toBeDefined();
    expect(body.name).toBe('Profile User');
    expect(body.given_name).toBe('Profile');
    expect(body.family_name).toBe('User');
    expect(body.email).toBe(user.email);
  });

  medplum.it('Get userinfo with phone', async () => {
    const user = users.phone as TestUser;
    const tokens = await signIn(user.email, user.password);
    const phone = randomUUID();
    const telecom = [
      { system: 'email', value: user.email },
      { system: 'phone', value: phone },
    ];
    const patched = await fhir(
      tokens.access_token as string,
      'PATCH',
      (tokens.profile as { reference: string }).reference,
      'application/json-patch+json',
      [{ op: 'replace', path: '/telecom', value: telecom }]
    );
    expect(patched.status).toBe(200);
    const { status, body } = await userinfo(tokens.access_token as string);
    expect(status).toBe(200);
    expect(body.phone_number).toBe(phone);
  });

  medplum.it('Get userinfo with address', async () => {
    const user = users.address as TestUser;
    const tokens = await signIn(user.email, user.password);
    const reference = (tokens.profile as { reference: string }).reference;
    const read = await fetch(`${target.baseUrl}fhir/R4/${reference}`, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    expect(read.status).toBe(200);
    const city = randomUUID();
    const updated = await fhir(tokens.access_token as string, 'PUT', reference, 'application/fhir+json', {
      ...((await read.json()) as Practitioner),
      address: [{ city }],
    });
    expect(updated.status).toBe(200);
    const { status, body } = await userinfo(tokens.access_token as string);
    expect(status).toBe(200);
    expect((body.address as { formatted: string }).formatted).toBe(city);
  });

  medplum.it('Get userinfo with only openid', async () => {
    const tokens = await signIn(alice.email, alice.password, 'openid');
    const { status, body } = await userinfo(tokens.access_token as string);
    expect(status).toBe(200);
    expect(body.sub).toBeDefined();
    for (const claim of ['profile', 'name', 'given_name', 'family_name', 'email', 'phone_number', 'address']) {
      expect(body[claim]).toBeUndefined();
    }
  });

  medplum.it('Profile with empty resource', async () => {
    const user = users.empty as TestUser;
    const tokens = await signIn(user.email, user.password);
    const reference = `Practitioner/${user.practitionerId}`;
    const updated = await fhir(tokens.access_token as string, 'PUT', reference, 'application/fhir+json', {
      resourceType: 'Practitioner',
      id: user.practitionerId,
    });
    expect(updated.status).toBe(200);
    const { status, body } = await userinfo(tokens.access_token as string);
    expect(status).toBe(200);
    expect(body.sub).toStrictEqual(user.userId);
    expect(body.email).toStrictEqual(user.email);
    expect(body.profile).toStrictEqual(reference);
    for (const claim of ['name', 'given_name', 'middle_name', 'family_name', 'phone_number', 'address']) {
      expect(body[claim]).toBeUndefined();
    }
  });

  medplum.it('Profile with full resource', async () => {
    const user = users.full as TestUser;
    const tokens = await signIn(user.email, user.password);
    const reference = `Practitioner/${user.practitionerId}`;
    const updated = await fhir(tokens.access_token as string, 'PUT', reference, 'application/fhir+json', {
      resourceType: 'Practitioner',
      id: user.practitionerId,
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: 'Europe/Zurich' }],
      birthDate: '1980-02-03',
      gender: 'female',
      name: [
        { use: 'official', given: ['Marge', 'Jacqueline'], family: 'Bouvier' },
        { use: 'nickname', given: ['Midge'] },
      ],
      telecom: [
        { system: 'email', use: 'work', value: 'marge.bouvier@example.com' },
        { system: 'email', use: 'home', value: 'marge.bouvier@example.com' },
        { system: 'url', use: 'work', value: 'https://www.example.org/' },
      ],
      address: [{ line: ['1 Main Street'], city: 'Shelbyville', state: 'OR', postalCode: '97000' }],
      photo: [{ contentType: 'image/webp', url: 'Binary/456', title: 'marge.webp' }],
    });
    expect(updated.status).toBe(200);
    const { status, body } = await userinfo(tokens.access_token as string);
    expect(status).toBe(200);
    expect(body.sub).toStrictEqual(user.userId);
    expect(body.email).toStrictEqual(user.email);
    expect(body.profile).toStrictEqual(reference);
    expect(body.name).toStrictEqual('Marge Jacqueline Bouvier');
    expect(body.family_name).toStrictEqual('Bouvier');
    expect(body.given_name).toStrictEqual('Marge');
    expect(body.middle_name).toStrictEqual('Jacqueline');
    expect(body.birthdate).toStrictEqual('1980-02-03');
    expect(body.gender).toStrictEqual('female');
    expect(body.picture).toStrictEqual('Binary/456');
    expect(body.nickname).toStrictEqual('Midge');
    expect(body.website).toStrictEqual('https://www.example.org/');
    expect(body.preferred_username).toStrictEqual('marge.bouvier');
    expect(body.zoneinfo).toStrictEqual('Europe/Zurich');
    expect(body.address).toStrictEqual({
      formatted: '1 Main Street, Shelbyville, OR, 97000',
      street_address: '1 Main Street',
      locality: 'Shelbyville',
      region: 'OR',
      postal_code: '97000',
    });
  });
});

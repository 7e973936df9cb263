import { randomUUID } from 'node:crypto';
import type { Bundle, ClientApplication, Login, ProjectMembership, Resource } from '@medplum/fhirtypes';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { basic, startTarget } from '../contract/target.ts';
import { adminClient, alice, buildSeed, PROJECT_ID, provisionedLike } from '../fixtures/seed.ts';
import { passwordTokens, seedWith } from './harness.ts';
import { mirrorOf } from './mirror.ts';

/** A signing key of our own in the seed, so the cases can mint tokens the emulator trusts, as Medplum's tests do. */
const signingKeyId = randomUUID();
const { privateKey } = await generateKeyPair('ES384', { extractable: true });

/** A ClientApplication with no membership at all, one whose membership is inactive, and one that is switched off. */
const orphanClient = { id: randomUUID(), secret: 'orphan-client-secret-0123456789' };
const inactiveMemberClient = { id: randomUUID(), secret: 'inactive-member-secret-0123456789' };
const offClient = { id: randomUUID(), secret: 'off-client-secret-0123456789' };
provisionedLike(orphanClient, inactiveMemberClient, offClient);
const revokedLoginId = randomUUID();
const validLoginId = randomUUID();

async function extendedSeed(): Promise<Bundle> {
  const seed = buildSeed();
  const meta = { project: PROJECT_ID };
  const project = { reference: `Project/${PROJECT_ID}` };
  const jwk = await exportJWK(privateKey);
  const clientWithMembership = (client: { id: string; secret: string }, extra: Partial<ProjectMembership>) => [
    { resourceType: 'ClientApplication', id: client.id, meta, name: client.id, secret: client.secret },
    {
      resourceType: 'ProjectMembership',
      id: randomUUID(),
      meta,
      project,
      user: { reference: `ClientApplication/${client.id}` },
      profile: { reference: `ClientApplication/${client.id}` },
      ...extra,
    },
  ];
  const extra: Resource[] = [
    {
      resourceType: 'JsonWebKey',
      id: signingKeyId,
      active: true,
      alg: 'ES384',
      kty: jwk.kty,
      crv: jwk.crv,
      x: jwk.x,
      y: jwk.y,
      d: jwk.d,
    } as Resource,
    { resourceType: 'ClientApplication', id: orphanClient.id, name: 'No membership', secret: orphanClient.secret },
    ...(clientWithMembership(inactiveMemberClient, { active: false }) as Resource[]),
    ...(clientWithMembership(offClient, {}) as Resource[]),
    {
      resourceType: 'Login',
      id: revokedLoginId,
      authMethod: 'client',
      user: { reference: `ClientApplication/${offClient.id}` },
      client: { reference: `ClientApplication/${offClient.id}` },
      authTime: new Date().toISOString(),
      revoked: true,
      scope: 'openid',
    } as Login,
    {
      resourceType: 'Login',
      id: validLoginId,
      authMethod: 'client',
      user: { reference: `ClientApplication/${adminClient.id}` },
      client: { reference: `ClientApplication/${adminClient.id}` },
      membership: { reference: `ProjectMembership/${adminClient.membershipId}` },
      authTime: new Date().toISOString(),
      granted: true,
      scope: 'openid',
    } as Login,
  ];
  return seedWith(extra, seed);
}

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget({ seed: await extendedSeed() });
});
afterAll(() => target.stop());

/** An access token signed with the seeded key, with the claims Medplum's generateAccessToken gives a client login. */
function accessToken(loginId: string, clientId: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    login_id: loginId,
    sub: clientId,
    username: clientId,
    client_id: clientId,
    profile: `ClientApplication/${clientId}`,
    scope: 'openid',
  })
    .setProtectedHeader({ alg: 'ES384', kid: signingKeyId, typ: 'JWT' })
    .setIssuer(target.baseUrl)
    .setAudience(target.baseUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
}

function patients(authorization?: string, query = ''): Promise<Response> {
  return fetch(`${target.baseUrl}fhir/R4/Patient${query}`, {
    headers: authorization === undefined ? {} : { Authorization: authorization },
  });
}

function basicRaw(credentials: string): string {
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

async function createPatient(headers: Record<string, string>): Promise<{ status: number; body: Resource }> {
  const response = await fetch(`${target.baseUrl}fhir/R4/Patient`, {
    method: 'POST',
    headers: {
      Authorization: basic(target.client.id, target.client.secret),
      'Content-Type': 'application/fhir+json',
      ...headers,
    },
    body: JSON.stringify({ resourceType: 'Patient', name: [{ given: ['Given'], family: 'Family' }] }),
  });
  return { status: response.status, body: (await response.json()) as Resource };
}

const medplum = mirrorOf(
  'packages/server/src/oauth/middleware.int.test.ts',
  '9c65374775036ed0a30119b81d58cd3e126b8bf0'
);

medplum.describe(() => {
  medplum.it('Login not found', { seedBound: SEED_BOUND.login }, async () => {
    // Control: a token minted the same way for an existing login is accepted, so the 401 below is about the login.
    expect((await patients(`Bearer ${await accessToken(validLoginId, adminClient.id)}`)).status).toBe(200);
    const response = await patients(`Bearer ${await accessToken(randomUUID(), offClient.id)}`);
    expect(response.status).toBe(401);
  });

  medplum.it('Login revoked', async () => {
    const response = await patients(`Bearer ${await accessToken(revokedLoginId, offClient.id)}`);
    expect(response.status).toBe(401);
  });

  medplum.it('No auth header', async () => {
    const response = await patients();
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${target.baseUrl}"`);
    expect(response.status).toBe(401);
  });

  medplum.it('No auth header with magic param', async () => {
    const response = await patients(undefined, '?_medplum-prompt-basic-auth=1');
    expect(response.headers.get('www-authenticate')).toBe(`Basic realm="${target.baseUrl}"`);
    expect(response.status).toBe(401);
  });

  medplum.it('Unrecognized auth header', async () => {
    expect((await patients('foo')).status).toBe(401);
  });

  medplum.it('Unrecognized auth token type', async () => {
    expect((await patients('foo foo')).status).toBe(401);
  });

  medplum.it('Invalid bearer token', async () => {
    const response = await patients('Bearer foo');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${target.baseUrl}"`);
  });

  medplum.it('Basic auth empty string', async () => {
    const response = await patients('Basic ');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Basic realm="${target.baseUrl}"`);
  });

  medplum.it('Basic auth malformed string', async () => {
    expect((await patients('Basic foo')).status).toBe(401);
  });

  medplum.it('Basic auth empty username', async () => {
    expect((await patients(basicRaw(`:${target.client.secret}`))).status).toBe(401);
  });

  medplum.it('Basic auth empty password', async () => {
    expect((await patients(basicRaw(`${target.client.id}:`))).status).toBe(401);
  });

  medplum.it('Basic auth client not found', async () => {
    expect((await patients(basic(randomUUID(), target.client.secret))).status).toBe(401);
  });

  medplum.it('Basic auth wrong password', async () => {
    expect((await patients(basic(target.client.id, 'wrong'))).status).toBe(401);
  });

  medplum.it('Basic auth success', async () => {
    expect((await patients(basic(target.client.id, target.client.secret))).status).toBe(200);
  });

  medplum.it('Basic auth project', async () => {
    const { status, body } = await createPatient({});
    expect(status).toBe(201);
    expect(body.meta).toBeDefined();
    expect(body.meta?.project).toBeUndefined();
  });

  medplum.it('Basic auth project with extended mode', async () => {
    const { status, body } = await createPatient({ 'X-Medplum': 'extended' });
    expect(status).toBe(201);
    expect(body.meta).toBeDefined();
    expect(body.meta?.project).toBeDefined();
  });

  medplum.it('Basic auth without project membership', async () => {
    expect((await patients(basic(orphanClient.id, orphanClient.secret))).status).toBe(401);
  });

  medplum.it('Basic auth with inactive project membership', async () => {
    expect((await patients(basic(inactiveMemberClient.id, inactiveMemberClient.secret))).status).toBe(401);
  });
});

/**
 * Cases of a newer revision of the same Medplum test file, seen in the public-code index without a commit id (so they
 * cannot go through mirrorOf). Same names as there.
 */
describe(`packages/server/src/oauth/middleware.test.ts@newer-revision (the index kept no commit)`, () => {
  const userTokens = (scope: string) => passwordTokens(target, { email: alice.email, password: alice.password, scope });

  it('mirrors "ID token rejected as access token"', async () => {
    const tokens = await userTokens('openid');
    expect((await patients(`Bearer ${tokens.access_token}`)).status).toBe(200);
    expect((await patients(`Bearer ${tokens.id_token}`)).status).toBe(401);
  });

  it('mirrors "Refresh token rejected as access token"', async () => {
    const tokens = await userTokens('openid offline_access');
    expect(tokens.refresh_token).toBeDefined();
    expect((await patients(`Bearer ${tokens.refresh_token}`)).status).toBe(401);
  });

  it('mirrors "Basic auth with inactive client status"', async () => {
    const authorization = basic(offClient.id, offClient.secret);
    expect((await patients(authorization)).status).toBe(200);
    const admin = basic(target.client.id, target.client.secret);
    const current = (await (
      await fetch(`${target.baseUrl}fhir/R4/ClientApplication/${offClient.id}`, { headers: { Authorization: admin } })
    ).json()) as ClientApplication;
    for (const status of ['off', 'error'] as const) {
      const update = await fetch(`${target.baseUrl}fhir/R4/ClientApplication/${offClient.id}`, {
        method: 'PUT',
        headers: { Authorization: admin, 'Content-Type': 'application/fhir+json' },
        body: JSON.stringify({ ...current, status }),
      });
      expect(update.status).toBe(200);
      expect((await patients(authorization)).status).toBe(401);
    }
  });
});

import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bundle, ClientApplication, Login, ProjectMembership, Resource } from '@medplum/fhirtypes';
import bcrypt from 'bcryptjs';
import type { CryptoKey, JWK } from 'jose';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, expect } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { basic, clientCredentialsToken, decodePayload, form, startTarget } from '../contract/target.ts';
import { adminClient, buildSeed, PROJECT_ID, provisionedLike } from '../fixtures/seed.ts';
import { seedWith } from './harness.ts';
import type { MirrorOptions } from './mirror.ts';
import { mirrorOf } from './mirror.ts';

/**
 * Medplum's token endpoint tests, ported: the older jest file (token.test.ts) and the newer vitest file
 * (token.int.test.ts) share most cases, which run under both names; where the two disagree, the newer file wins.
 */
const jestFile = mirrorOf('packages/server/src/oauth/token.test.ts', '00825e374916c387fd6d98378c0fbfe866fb7ac6');
const vitestFile = mirrorOf('packages/server/src/oauth/token.int.test.ts', '96d5e7758c33fe8d5c7f518aee8da6dec49baffb');

// ---------------------------------------------------------------------------------------------------------------
// The resources Medplum's tests create in their beforeAll, as seed entries (all in the fixture's project).
// ---------------------------------------------------------------------------------------------------------------

const id = (n: number) => `00000000-0000-4000-8000-${(0x900 + n).toString(16).padStart(12, '0')}`;
const meta = { project: PROJECT_ID };
const projectReference = { reference: `Project/${PROJECT_ID}` };

/** Medplum's "test user": one membership, so a sign-in without a client gets a code at once. */
const carol = {
  userId: id(1),
  profileId: id(2),
  membershipId: id(3),
  email: 'carol@example.com',
  password: 'carol-pw-123',
};
const patientUser = {
  userId: id(4),
  profileId: id(5),
  membershipId: id(6),
  email: 'pat@example.com',
  password: 'pat-pw-12345',
};
/** A user whose membership a test deactivates. */
const ivy = {
  userId: id(7),
  profileId: id(8),
  membershipId: id(9),
  email: 'ivy@example.com',
  password: 'ivy-pw-12345',
};

interface SeedClient {
  id: string;
  secret?: string;
  retiringSecret?: string;
  membershipId?: string;
}
const client: SeedClient = {
  id: id(20),
  secret: 'client-secret',
  retiringSecret: 'client-retiring',
  membershipId: id(21),
};
const pkceOptionalClient: SeedClient = { id: id(22), secret: 'pkce-secret', retiringSecret: 'pkce-retiring' };
const emptySecretClient: SeedClient = { id: id(23), secret: '' };
const noMembershipClient: SeedClient = { id: id(24), secret: 'no-membership-secret' };
const offClient: SeedClient = { id: id(25), secret: 'off-secret', membershipId: id(26) };
const activeClient: SeedClient = { id: id(27), secret: 'active-secret', membershipId: id(28) };
/** One per file: the case deactivates the client's membership. */
const inactiveMembershipClients: Record<string, SeedClient> = {
  'openid offline': { id: id(29), secret: 'inactive-secret', membershipId: id(30) },
  'openid offline_access': { id: id(49), secret: 'inactive-secret-2', membershipId: id(50) },
};
const accessLifetimeClient: SeedClient = { id: id(31), secret: 'access-lifetime-secret', membershipId: id(32) };
const refreshLifetimeClient: SeedClient = { id: id(33), secret: 'refresh-lifetime-secret', membershipId: id(34) };
const refreshGrantClient: SeedClient = { id: id(35), secret: 'refresh-grant-secret', membershipId: id(36) };
const externalAuthClient: SeedClient = { id: id(37), secret: 'external-secret', membershipId: id(38) };
const invalidAuthClient: SeedClient = { id: id(39), secret: 'invalid-external-secret', membershipId: id(40) };
const noUserInfoClient: SeedClient = { id: id(41), secret: 'no-userinfo-secret', membershipId: id(42) };
const assertionClient: SeedClient = { id: id(43), secret: 'assertion-secret', membershipId: id(44) };
const multiKeyClient: SeedClient = { id: id(45), secret: 'multi-key-secret', membershipId: id(46) };
const mtlsClient: SeedClient = { id: id(47), secret: 'mtls-secret', membershipId: id(48) };

const launches = { plain: id(60), patientIdentifier: id(61), encounterIdentifier: id(62) };
// Against a real Medplum these take the ids, secrets and emails the provisioned users and clients got.
provisionedLike(
  carol,
  patientUser,
  ivy,
  client,
  pkceOptionalClient,
  emptySecretClient,
  noMembershipClient,
  offClient,
  activeClient,
  ...Object.values(inactiveMembershipClients),
  accessLifetimeClient,
  refreshLifetimeClient,
  refreshGrantClient,
  externalAuthClient,
  invalidAuthClient,
  noUserInfoClient,
  assertionClient,
  multiKeyClient,
  mtlsClient,
  launches
);
const revokedLoginCode = 'seeded-code-of-a-revoked-login';
const expiredPreAuthorizedCode = 'seeded-expired-pre-authorized-code';

function person(p: typeof carol, profileType: 'Practitioner' | 'Patient', given: string): Resource[] {
  return [
    {
      resourceType: 'User',
      id: p.userId,
      meta,
      firstName: given,
      lastName: 'Test',
      email: p.email,
      passwordHash: bcrypt.hashSync(p.password, 4),
      project: projectReference,
    },
    { resourceType: profileType, id: p.profileId, meta, name: [{ given: [given], family: 'Test' }] },
    {
      resourceType: 'ProjectMembership',
      id: p.membershipId,
      meta,
      project: projectReference,
      user: { reference: `User/${p.userId}` },
      profile: { reference: `${profileType}/${p.profileId}` },
    },
  ];
}

function clientApplication(c: SeedClient, fields: Partial<ClientApplication> = {}): Resource[] {
  const resources: Resource[] = [
    {
      resourceType: 'ClientApplication',
      id: c.id,
      meta,
      name: `Client ${c.id.slice(-3)}`,
      ...(c.secret !== undefined ? { secret: c.secret } : {}),
      ...(c.retiringSecret ? { retiringSecret: c.retiringSecret } : {}),
      ...fields,
    },
  ];
  if (c.membershipId) {
    resources.push({
      resourceType: 'ProjectMembership',
      id: c.membershipId,
      meta,
      project: projectReference,
      user: { reference: `ClientApplication/${c.id}` },
      profile: { reference: `ClientApplication/${c.id}` },
    });
  }
  return resources;
}

function seededLogin(login: Omit<Login, 'resourceType' | 'user' | 'authTime'>): Login {
  return {
    resourceType: 'Login',
    user: { reference: `User/${carol.userId}` },
    membership: { reference: `ProjectMembership/${carol.membershipId}` },
    project: projectReference,
    authTime: new Date().toISOString(),
    scope: 'openid',
    nonce: randomUUID(),
    ...login,
  };
}

const identityProvider = {
  authorizeUrl: 'https://example.com/oauth2/authorize',
  tokenUrl: 'https://example.com/oauth2/token',
  userInfoUrl: 'https://example.com/oauth2/userinfo',
  clientId: '123',
  clientSecret: '456',
};

function extendedSeed(urls: { jwks: string; multiJwks: string }, certificate: string): Bundle {
  const seed = buildSeed();
  const extra: Resource[] = [
    ...person(carol, 'Practitioner', 'Carol'),
    ...person(patientUser, 'Patient', 'Pat'),
    ...person(ivy, 'Practitioner', 'Ivy'),
    ...clientApplication(client),
    ...clientApplication(pkceOptionalClient, { pkceOptional: true }),
    ...clientApplication(emptySecretClient, { redirectUris: ['https://example.com'] }),
    ...clientApplication(noMembershipClient),
    ...clientApplication(offClient, { status: 'off' }),
    ...clientApplication(activeClient, { status: 'active' }),
    ...Object.values(inactiveMembershipClients).flatMap((c) => clientApplication(c)),
    ...clientApplication(accessLifetimeClient, { accessTokenLifetime: '60s' }),
    ...clientApplication(refreshLifetimeClient, { refreshTokenLifetime: '60s' }),
    ...clientApplication(refreshGrantClient, {
      refreshTokenLifetime: '60s',
      grantType: ['authorization_code', 'refresh_token'],
    }),
    ...clientApplication(externalAuthClient, { identityProvider }),
    ...clientApplication(invalidAuthClient, {
      identityProvider: {
        authorizeUrl: 'file://example.com/oauth2/authorize',
        tokenUrl: 'file://example.com/oauth2/token',
        userInfoUrl: 'file://example.com/oauth2/userinfo',
        clientId: '123',
        clientSecret: '456',
      },
    }),
    ...clientApplication(noUserInfoClient, {
      identityProvider: { issuer: 'https://example.com', jwksUrl: 'https://example.com/.well-known/jwks.json' },
    }),
    ...clientApplication(assertionClient, { jwksUri: urls.jwks }),
    ...clientApplication(multiKeyClient, { jwksUri: urls.multiJwks }),
    ...clientApplication(mtlsClient, { certificateTrustStore: certificate }),
    {
      resourceType: 'SmartAppLaunch',
      id: launches.plain,
      meta,
      patient: { reference: `Patient/${randomUUID()}` },
      encounter: { reference: `Encounter/${randomUUID()}` },
    },
    {
      resourceType: 'SmartAppLaunch',
      id: launches.patientIdentifier,
      meta,
      patient: {
        reference: `Patient/${randomUUID()}`,
        identifier: { system: 'https://healthgorilla.com/patient-id', value: '0e4af968e733693405e943e1' },
      },
    },
    {
      resourceType: 'SmartAppLaunch',
      id: launches.encounterIdentifier,
      meta,
      encounter: {
        reference: `Encounter/${randomUUID()}`,
        identifier: { system: 'https://example.com/visit-id', value: 'VISIT-12345' },
      },
    },
    // Medplum's tests revoke a Login, or write a pre-authorized one, straight into the repository.
    seededLogin({
      id: id(70),
      authMethod: 'password',
      code: revokedLoginCode,
      codeChallenge: 'xyz',
      codeChallengeMethod: 'plain',
      revoked: true,
    }),
    seededLogin({
      id: id(71),
      authMethod: 'pre-authorized' as Login['authMethod'],
      client: { reference: `ClientApplication/${client.id}` },
      preAuthorizedCodeHash: createHash('sha256').update(expiredPreAuthorizedCode).digest('hex'),
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    }),
  ];
  return seedWith(extra, seed);
}

// ---------------------------------------------------------------------------------------------------------------
// Harness: a JWKS host for client assertions, a self-signed certificate, the emulator, and a replaceable outgoing fetch.
// ---------------------------------------------------------------------------------------------------------------

let target: ContractTarget;
let jwksServer: Server;
let assertionKey: CryptoKey;
let secondMatchingKey: CryptoKey;
let certificate: string;
/** The identity provider's user info endpoint, as Medplum's tests mock `fetch`. */
let userInfo: (url: string, init?: RequestInit) => Promise<Response> = () => Promise.reject(new Error('unexpected'));
let userInfoCalls: string[] = [];

beforeAll(async () => {
  const single = await generateKeyPair('ES384', { extractable: true });
  const first = await generateKeyPair('ES384', { extractable: true });
  const second = await generateKeyPair('ES384', { extractable: true });
  assertionKey = single.privateKey;
  secondMatchingKey = second.privateKey;
  const publicJwk = async (key: CryptoKey): Promise<JWK> => ({ ...(await exportJWK(key)), alg: 'ES384', use: 'sig' });
  const keySets: Record<string, { keys: JWK[] }> = {
    '/jwks.json': { keys: [await publicJwk(single.publicKey)] },
    '/multi/jwks.json': { keys: [await publicJwk(first.publicKey), await publicJwk(second.publicKey)] },
  };
  jwksServer = createServer((request, response) => {
    const body = keySets[request.url ?? ''];
    response.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksBase = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;

  certificate = selfSignedCertificate('Test Client');
  target = await startTarget({
    seed: extendedSeed({ jwks: `${jwksBase}/jwks.json`, multiJwks: `${jwksBase}/multi/jwks.json` }, certificate),
    fetch: (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      userInfoCalls.push(url);
      return userInfo(url, init);
    },
  });
});

afterAll(async () => {
  await target?.stop();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

/** `openssl req -x509`: a one-day self-signed certificate (Medplum's tests use generateSelfSignedCert). */
function selfSignedCertificate(commonName: string): string {
  return execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      `/CN=${commonName}`,
      '-days',
      '1',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }
  );
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // plain-text answers keep `text`
  }
  return { status: response.status, body, text };
}

async function token(fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const init = form(fields);
  return answer(
    await fetch(`${target.baseUrl}oauth2/token`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), ...headers },
    })
  );
}

/** `POST /auth/login` as Medplum's tests send it; Carol (one membership) unless another user is given. */
async function login(fields: Record<string, unknown>, user: { email: string; password: string } = carol) {
  const response = await answer(
    await fetch(`${target.baseUrl}auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password, ...fields }),
    })
  );
  expect(response.status).toBe(200);
  return response.body as { login: string; code: string };
}

/** `codeChallenge: 'xyz'`, `plain`, as nearly every Medplum case signs in, then the code exchange. */
async function signInAndExchange(fields: Record<string, unknown> = {}, user = carol): Promise<Answer> {
  const { code } = await login({ codeChallenge: 'xyz', codeChallengeMethod: 'plain', ...fields }, user);
  return token({ grant_type: 'authorization_code', code, code_verifier: 'xyz' });
}

function expectTokens(res: Answer, scope: string, refresh: 'with refresh' | 'without refresh', expiresIn = 3600) {
  expect(res.status).toBe(200);
  expect(res.body.token_type).toBe('Bearer');
  expect(res.body.scope).toBe(scope);
  expect(res.body.expires_in).toBe(expiresIn);
  expect(res.body.id_token).toBeDefined();
  expect(res.body.access_token).toBeDefined();
  if (refresh === 'with refresh') expect(res.body.refresh_token).toBeDefined();
  else expect(res.body.refresh_token).toBeUndefined();
}

function expectError(res: Answer, error: string, description: string, status = 400) {
  expect(res.status).toBe(status);
  expect(res.body.error).toBe(error);
  expect(res.body.error_description).toBe(description);
}

function expectSuccess(res: Answer) {
  expect(res.status).toBe(200);
  expect(res.body.error).toBeUndefined();
  expect(res.body.access_token).toBeDefined();
}

async function me(accessToken: string): Promise<number> {
  const response = await fetch(`${target.baseUrl}auth/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
  await response.body?.cancel();
  return response.status;
}

/** What Medplum's tests do with `systemRepo.updateResource({...membership, active: false})`, as the project admin. */
async function deactivateMembership(membershipId: string): Promise<void> {
  const admin = await clientCredentialsToken(target);
  const headers = { Authorization: `Bearer ${admin.access_token}`, 'Content-Type': 'application/fhir+json' };
  const url = `${target.baseUrl}fhir/R4/ProjectMembership/${membershipId}`;
  const membership = (await (await fetch(url, { headers })).json()) as ProjectMembership;
  const response = await fetch(url, { method: 'PUT', headers, body: JSON.stringify({ ...membership, active: false }) });
  expect(response.status).toBe(200);
  await response.body?.cancel();
}

async function verifiedClaims(jwt: string): Promise<Record<string, unknown>> {
  const keys = createRemoteJWKSet(new URL(`${target.baseUrl}.well-known/jwks.json`));
  return (await jwtVerify(jwt, keys)).payload as Record<string, unknown>;
}

function assertion(claims: { iss: string; sub: string; aud?: string }, key: CryptoKey = assertionKey) {
  return new SignJWT({ 'urn:example:claim': true })
    .setProtectedHeader({ alg: 'ES384' })
    .setIssuedAt()
    .setIssuer(claims.iss)
    .setSubject(claims.sub)
    .setAudience(claims.aud ?? `${target.baseUrl}oauth2/token`)
    .setExpirationTime('2h')
    .sign(key);
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const PRE_AUTHORIZED_CODE = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';

function userInfoAnswers(body: string, contentType: string, status = 200): void {
  userInfoCalls = [];
  userInfo = async () => new Response(body, { status, headers: { 'Content-Type': contentType } });
}

function exchange(clientId: string, subjectToken = 'xyz', subjectTokenType = ACCESS_TOKEN_TYPE): Promise<Answer> {
  return token({
    grant_type: TOKEN_EXCHANGE,
    subject_token_type: subjectTokenType,
    client_id: clientId,
    subject_token: subjectToken,
  });
}

async function createClientWithLifetime(field: 'accessTokenLifetime' | 'refreshTokenLifetime', value: string) {
  const admin = await clientCredentialsToken(target);
  return answer(
    await fetch(`${target.baseUrl}fhir/R4/ClientApplication`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin.access_token}`, 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'ClientApplication', name: `${field} - Invalid Client`, [field]: value }),
    })
  );
}

async function expectLifetimeRejected(field: 'accessTokenLifetime' | 'refreshTokenLifetime') {
  for (const value of ['medplum', '300']) {
    const res = await createClientWithLifetime(field, value);
    expect(res.status).toBe(400);
    const issue = (res.body.issue as { details?: { text?: string } }[] | undefined)?.[0];
    expect(issue?.details?.text).toBe(
      'Constraint clapp-1 not met: Token lifetime must be a valid string representing time duration (eg. 2w, 1h)'
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The cases. `offline` is the offline scope each file signs in with ('openid offline' in the older file).
// ---------------------------------------------------------------------------------------------------------------

interface Case {
  name: string;
  options?: MirrorOptions;
  run(offline: string): Promise<void>;
}

const shared: Case[] = [
  {
    name: 'Token with wrong Content-Type',
    run: async () => {
      const res = await answer(
        await fetch(`${target.baseUrl}oauth2/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ foo: 'bar' }),
        })
      );
      expect(res.status).toBe(400);
      expect(res.text).toBe('Unsupported content type');
    },
  },
  {
    name: 'Token with missing grant type',
    run: async () =>
      expectError(await token({ grant_type: '', code: 'fake-code' }), 'invalid_request', 'Missing grant_type'),
  },
  {
    name: 'Token with unsupported grant type',
    run: async () =>
      expectError(await token({ grant_type: 'xyz', code: 'fake-code' }), 'invalid_request', 'Unsupported grant_type'),
  },
  {
    name: 'Token for client credentials success',
    run: async () =>
      expectSuccess(
        await token({ grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret as string })
      ),
  },
  {
    name: 'Token for client credentials with missing client_id',
    run: async () =>
      expectError(
        await token({ grant_type: 'client_credentials', client_id: '', client_secret: 'big-long-string' }),
        'invalid_request',
        'Missing client_id'
      ),
  },
  {
    name: 'Token for client credentials with missing client_secret',
    run: async () =>
      expectError(
        await token({ grant_type: 'client_credentials', client_id: target.client.id, client_secret: '' }),
        'invalid_request',
        'Missing client_secret'
      ),
  },
  {
    name: 'Token for client credentials with wrong client_id',
    run: async () =>
      expectError(
        await token({ grant_type: 'client_credentials', client_id: randomUUID(), client_secret: 'big-long-string' }),
        'invalid_request',
        'Invalid client'
      ),
  },
  {
    name: 'Token for client credentials with wrong client_secret',
    run: async () =>
      expectError(
        await token({
          grant_type: 'client_credentials',
          client_id: target.client.id,
          client_secret: 'wrong-client-id',
        }),
        'invalid_request',
        'Invalid secret'
      ),
  },
  {
    name: 'Token for client credentials with secondary client_secret',
    run: async () =>
      expectSuccess(
        await token({
          grant_type: 'client_credentials',
          client_id: client.id,
          client_secret: client.retiringSecret as string,
        })
      ),
  },
  {
    name: 'Token for client credentials authentication header success',
    run: async () =>
      expectSuccess(
        await token(
          { grant_type: 'client_credentials' },
          { Authorization: basic(target.client.id, target.client.secret) }
        )
      ),
  },
  {
    name: 'Token for client credentials wrong authentication header',
    run: async () =>
      expectError(
        await token({ grant_type: 'client_credentials' }, { Authorization: 'Bearer xyz' }),
        'invalid_request',
        'Invalid authorization header'
      ),
  },
  {
    name: 'Client credentials auth header empty secret',
    run: async () => {
      const response = await fetch(`${target.baseUrl}fhir/R4/Patient`, {
        headers: { Authorization: basic(emptySecretClient.id, '') },
      });
      await response.body?.cancel();
      expect(response.status).toBe(401);
    },
  },
  {
    name: 'Token for client empty secret',
    run: async () =>
      expectError(
        await token({
          grant_type: 'client_credentials',
          client_id: emptySecretClient.id,
          client_secret: 'wrong-client-secret',
        }),
        'invalid_request',
        'Invalid client'
      ),
  },
  {
    name: 'Token for client without project membership',
    run: async () =>
      expectError(
        await token({
          grant_type: 'client_credentials',
          client_id: noMembershipClient.id,
          client_secret: noMembershipClient.secret as string,
        }),
        'invalid_request',
        'Invalid client'
      ),
  },
  {
    name: 'Token for client in "off" status',
    run: async () =>
      expectError(
        await token({
          grant_type: 'client_credentials',
          client_id: offClient.id,
          client_secret: offClient.secret as string,
        }),
        'invalid_request',
        'Invalid client'
      ),
  },
  {
    name: 'Token for client in "active" status',
    run: async () =>
      expectSuccess(
        await token({
          grant_type: 'client_credentials',
          client_id: activeClient.id,
          client_secret: activeClient.secret as string,
        })
      ),
  },
  {
    name: 'Token for client with inactive ProjectMembership',
    run: async (offline) => {
      const inactiveMembershipClient = inactiveMembershipClients[offline] as SeedClient;
      const res = await token({
        grant_type: 'client_credentials',
        client_id: inactiveMembershipClient.id,
        client_secret: inactiveMembershipClient.secret as string,
      });
      expectSuccess(res);
      const accessToken = res.body.access_token as string;
      expect(await me(accessToken)).toBe(200);
      await deactivateMembership(inactiveMembershipClient.membershipId as string);
      expect(await me(accessToken)).toBe(401);
    },
  },
  {
    name: 'Token for authorization_code with missing code',
    run: async () =>
      expectError(
        await token({ grant_type: 'authorization_code', code: '', code_verifier: 'xyz' }),
        'invalid_request',
        'Missing code'
      ),
  },
  {
    name: 'Token for authorization_code with bad code',
    run: async () =>
      expectError(
        await token({ grant_type: 'authorization_code', code: 'xyzxyz', code_verifier: 'xyz' }),
        'invalid_request',
        'Invalid code'
      ),
  },
  {
    name: 'Token for authorization_code with invalid client ID',
    run: async () =>
      expectError(
        await token({ grant_type: 'authorization_code', client_id: 'INVALID', code: '', code_verifier: 'xyz' }),
        'invalid_request',
        'Missing code'
      ),
  },
  {
    name: 'Token for authorization_code with invalid authorization header',
    run: async () =>
      expectError(
        await token(
          { grant_type: 'authorization_code', code: '', code_verifier: 'xyz' },
          { Authorization: 'Bearer xyz' }
        ),
        'invalid_request',
        'Invalid authorization header'
      ),
  },
  {
    name: 'Authorization code missing verification',
    run: async () => {
      const { code } = await login({});
      expectError(
        await token({ grant_type: 'authorization_code', code }),
        'invalid_request',
        'Missing verification context'
      );
    },
  },
  {
    name: 'Authorization code missing code_verifier',
    run: async () => {
      const { code } = await login({ codeChallenge: 'xyz', codeChallengeMethod: 'plain' });
      expectError(await token({ grant_type: 'authorization_code', code }), 'invalid_request', 'Missing code verifier');
    },
  },
  {
    name: 'Authorization code token with code verifier success',
    run: async () => {
      const res = await signInAndExchange({ scope: 'openid profile email' });
      expectTokens(res, 'openid profile email', 'without refresh');
      expect(decodePayload(res.body.id_token as string).email).toBe(carol.email);
    },
  },
  {
    name: 'Authorization code token with incorrect code verifier and client secret',
    run: async () => {
      const { code } = await login({
        codeChallenge: 'xyz',
        codeChallengeMethod: 'plain',
        scope: 'openid profile email',
      });
      const res = await token(
        { grant_type: 'authorization_code', code, code_verifier: 'incorrect' },
        { Authorization: basic(client.id, client.secret as string) }
      );
      expect(res.status).toBe(400);
      expect(res.body.access_token).toBeUndefined();
    },
  },
  {
    name: 'Authorization code token with code challenge and PKCE optional',
    run: async () => {
      const { code } = await login({
        clientId: pkceOptionalClient.id,
        codeChallenge: 'xyz',
        codeChallengeMethod: 'plain',
      });
      expectTokens(await token({ grant_type: 'authorization_code', code }), 'openid', 'without refresh');
    },
  },
  {
    name: 'Authorization code token with wrong client secret',
    run: async () => {
      const { code } = await login({ clientId: pkceOptionalClient.id });
      expectError(
        await token({
          grant_type: 'authorization_code',
          code,
          client_id: pkceOptionalClient.id,
          client_secret: 'wrong',
        }),
        'invalid_request',
        'Invalid secret'
      );
    },
  },
  {
    name: 'Authorization code token with secondary client secret',
    run: async () => {
      const { code } = await login({ clientId: pkceOptionalClient.id });
      expectSuccess(
        await token({
          grant_type: 'authorization_code',
          code,
          client_id: pkceOptionalClient.id,
          client_secret: pkceOptionalClient.retiringSecret as string,
        })
      );
    },
  },
  {
    name: 'Authorization code token with client secret success',
    run: async () => {
      const { code } = await login({ clientId: pkceOptionalClient.id });
      const res = await token({
        grant_type: 'authorization_code',
        code,
        client_id: pkceOptionalClient.id,
        client_secret: pkceOptionalClient.secret as string,
      });
      expectTokens(res, 'openid', 'without refresh');
    },
  },
  {
    name: 'Authorization code revoked',
    options: { seedBound: SEED_BOUND.login },
    run: async () =>
      expectError(
        await token({ grant_type: 'authorization_code', code: revokedLoginCode, code_verifier: 'xyz' }),
        'invalid_grant',
        'Token revoked'
      ),
  },
  {
    name: 'Authorization code token success with refresh using legacy remember flag',
    run: async () => expectTokens(await signInAndExchange({ remember: true }), 'openid', 'with refresh'),
  },
  {
    name: 'Authorization code token success with refresh using scope=offline',
    run: async () =>
      expectTokens(await signInAndExchange({ scope: 'openid offline' }), 'openid offline', 'with refresh'),
  },
  {
    name: 'Authorization code token success with refresh using scope=offline_access',
    run: async () =>
      expectTokens(
        await signInAndExchange({ scope: 'openid offline_access' }),
        'openid offline_access',
        'with refresh'
      ),
  },
  {
    name: 'Authorization code token success with client ID',
    run: async () => {
      const { code } = await login({ clientId: client.id, codeChallenge: 'xyz', codeChallengeMethod: 'plain' });
      const res = await token({ grant_type: 'authorization_code', client_id: client.id, code, code_verifier: 'xyz' });
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('Bearer');
      expect(res.body.scope).toBe('openid');
      expect(res.body.expires_in).toBe(3600);
      expect(res.body.id_token).toBeDefined();
      expect(res.body.access_token).toBeDefined();
    },
  },
  {
    name: 'Authorization code token failure with client ID',
    run: async () => {
      const { code } = await login({ codeChallenge: 'xyz', codeChallengeMethod: 'plain' });
      expectError(
        await token({ grant_type: 'authorization_code', client_id: 'wrong-client-id', code, code_verifier: 'xyz' }),
        'invalid_request',
        'Invalid client'
      );
    },
  },
  {
    name: 'Authorization code token failure already granted',
    run: async () => {
      const { code } = await login({ codeChallenge: 'xyz', codeChallengeMethod: 'plain' });
      const first = await token({ grant_type: 'authorization_code', code, code_verifier: 'xyz' });
      expect(first.status).toBe(200);
      expect(first.body.token_type).toBe('Bearer');
      expect(first.body.scope).toBe('openid');
      expect(first.body.expires_in).toBe(3600);
      expect(first.body.id_token).toBeDefined();
      expect(first.body.access_token).toBeDefined();
      expectError(
        await token({ grant_type: 'authorization_code', code, code_verifier: 'xyz' }),
        'invalid_grant',
        'Token already granted'
      );
    },
  },
  {
    name: 'Refresh token without token',
    run: async () =>
      expectError(
        await token({ grant_type: 'refresh_token', refresh_token: '' }),
        'invalid_request',
        'Invalid refresh token'
      ),
  },
  {
    name: 'Refresh token with malformed token',
    run: async () =>
      expectError(
        await token({ grant_type: 'refresh_token', refresh_token: 'xyz' }),
        'invalid_request',
        'Invalid refresh token'
      ),
  },
  {
    name: 'Refresh token success',
    run: async (offline) => {
      const res = await signInAndExchange({ scope: offline });
      expectTokens(res, offline, 'with refresh');
      const refreshed = await token({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token as string });
      expectTokens(refreshed, offline, 'with refresh');
    },
  },
  {
    name: 'Refresh token failed for no refresh secret',
    run: async () => {
      const res = await signInAndExchange();
      expectTokens(res, 'openid', 'without refresh');
      // Medplum's test sends `refresh_token: undefined`, which the form leaves out.
      expectError(await token({ grant_type: 'refresh_token' }), 'invalid_request', 'Invalid refresh token');
    },
  },
  {
    name: 'Refresh token failed for no refresh_secret claim',
    run: async (offline) => {
      const res = await signInAndExchange({ scope: offline });
      expectTokens(res, offline, 'with refresh');
      const { refresh_secret: _secret, ...claims } = decodePayload(res.body.refresh_token as string);
      const { privateKey } = await generateKeyPair('ES384');
      const withoutSecret = await new SignJWT(claims).setProtectedHeader({ alg: 'ES384' }).sign(privateKey);
      expectError(
        await token({ grant_type: 'refresh_token', refresh_token: withoutSecret }),
        'invalid_request',
        'Invalid refresh token'
      );
    },
  },
  {
    name: 'Refresh token failure with S256 code',
    run: async (offline) => {
      const codeHash = createHash('sha256').update(randomUUID()).digest('base64url');
      const { code } = await login({
        clientId: client.id,
        codeChallenge: codeHash,
        codeChallengeMethod: 'S256',
        scope: offline,
      });
      // Sending the hash where the verifier belongs.
      const res = await token({ grant_type: 'authorization_code', code, code_verifier: codeHash });
      expect(res.status).toBe(400);
    },
  },
  {
    name: 'Refresh token success with S256 code',
    run: async (offline) => {
      const verifier = randomUUID();
      const { code } = await login({
        clientId: client.id,
        codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
        codeChallengeMethod: 'S256',
        scope: offline,
      });
      const res = await token({ grant_type: 'authorization_code', code, code_verifier: verifier });
      expectTokens(res, offline, 'with refresh');
      const refreshed = await token({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token as string });
      expectTokens(refreshed, offline, 'with refresh');
    },
  },
  {
    name: 'Refresh token revoked',
    run: async (offline) => {
      const res = await signInAndExchange({ scope: offline });
      expectTokens(res, offline, 'with refresh');
      // Medplum's test sets `revoked: true` on the Login; over HTTP, signing out does that.
      const logout = await fetch(`${target.baseUrl}oauth2/logout`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${res.body.access_token}` },
      });
      await logout.body?.cancel();
      expect(logout.status).toBe(200);
      expectError(
        await token({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token as string }),
        'invalid_grant',
        'Token revoked'
      );
    },
  },
  ...(
    [
      ['Refresh token Basic auth success', () => basic(client.id, client.secret as string), undefined],
      [
        'Refresh token Basic auth failure wrong auth type',
        () => `Bearer ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
        ['invalid_request', 'Invalid authorization header'],
      ],
      [
        'Refresh token Basic auth failure wrong client ID',
        () => basic('wrong-id', client.secret as string),
        ['invalid_grant', 'Incorrect client'],
      ],
      [
        'Refresh token Basic auth failure wrong secret',
        () => `Basic ${Buffer.from(`${client.id}:`).toString('base64')}`,
        ['invalid_grant', 'Incorrect client secret'],
      ],
    ] as const
  ).map(
    ([name, authorization, failure]): Case => ({
      name,
      run: async (offline) => {
        const res = await signInAndExchange({ clientId: client.id, scope: offline });
        expectTokens(res, offline, 'with refresh');
        const refreshed = await token(
          { grant_type: 'refresh_token', refresh_token: res.body.refresh_token as string },
          { Authorization: authorization() }
        );
        if (failure) expectError(refreshed, failure[0], failure[1]);
        else expectTokens(refreshed, offline, 'with refresh');
      },
    })
  ),
  {
    name: 'Refresh token rotation',
    run: async (offline) => {
      const res2 = await signInAndExchange({ clientId: client.id, scope: offline });
      expectTokens(res2, offline, 'with refresh');
      const res3 = await token({ grant_type: 'refresh_token', refresh_token: res2.body.refresh_token as string });
      expectTokens(res3, offline, 'with refresh');
      const res4 = await token({ grant_type: 'refresh_token', refresh_token: res3.body.refresh_token as string });
      expectTokens(res4, offline, 'with refresh');
      const res5 = await token({ grant_type: 'refresh_token', refresh_token: res2.body.refresh_token as string });
      expectError(res5, 'invalid_request', 'Invalid token');
    },
  },
  {
    name: 'accessTokenLifetime -- Valid duration',
    run: async (offline) => {
      const { code } = await login({
        clientId: accessLifetimeClient.id,
        codeChallenge: 'xyz',
        codeChallengeMethod: 'plain',
        scope: offline,
      });
      const res = await token({
        grant_type: 'authorization_code',
        client_id: accessLifetimeClient.id,
        code,
        code_verifier: 'xyz',
        scope: offline,
      });
      expectTokens(res, offline, 'with refresh', 60);
      const claims = await verifiedClaims(res.body.access_token as string);
      expect(claims.exp).toBe((claims.iat as number) + 60);
    },
  },
  {
    name: 'accessTokenLifetime -- Invalid duration',
    run: () => expectLifetimeRejected('accessTokenLifetime'),
  },
  {
    name: 'refreshTokenLifetime -- Valid duration',
    run: async (offline) => {
      const { code } = await login({
        clientId: refreshLifetimeClient.id,
        codeChallenge: 'xyz',
        codeChallengeMethod: 'plain',
        scope: offline,
      });
      const res = await token({
        grant_type: 'authorization_code',
        client_id: refreshLifetimeClient.id,
        code,
        code_verifier: 'xyz',
        scope: offline,
      });
      expectTokens(res, offline, 'with refresh');
      const claims = await verifiedClaims(res.body.refresh_token as string);
      expect(claims.exp).toBe((claims.iat as number) + 60);
    },
  },
  {
    name: 'refreshTokenLifetime -- Invalid duration',
    run: () => expectLifetimeRejected('refreshTokenLifetime'),
  },
  {
    name: 'Patient in token response',
    run: async (offline) => {
      const res = await signInAndExchange({ clientId: client.id, scope: offline }, patientUser);
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('Bearer');
      expect(res.body.scope).toBe(offline);
      expect(res.body.patient).toBe(patientUser.profileId);
    },
  },
  {
    name: 'Client assertion success',
    run: async () => {
      const jwt = await assertion({ iss: assertionClient.id, sub: assertionClient.id });
      expectSuccess(
        await token({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: jwt })
      );
    },
  },
  {
    name: 'Client assertion client not found',
    run: async () => {
      const fakeClientId = randomUUID();
      const jwt = await assertion({ iss: fakeClientId, sub: fakeClientId });
      expectError(
        await token({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: jwt }),
        'invalid_request',
        'Client not found'
      );
    },
  },
  {
    name: 'Client assertion missing jwks URL',
    run: async () => {
      const jwt = await assertion({ iss: client.id, sub: client.id });
      expectError(
        await token({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: jwt }),
        'invalid_request',
        'Client must have a JWK Set URL'
      );
    },
  },
  {
    name: 'Client assertion invalid audience',
    run: async () => {
      const jwt = await assertion({
        iss: assertionClient.id,
        sub: assertionClient.id,
        aud: 'https://invalid-audience.com',
      });
      expectError(
        await token({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: jwt }),
        'invalid_request',
        'Invalid client assertion audience'
      );
    },
  },
  {
    name: 'Client assertion invalid issuer',
    run: async () => {
      const jwt = await assertion({ iss: 'invalid-issuer', sub: assertionClient.id });
      expectError(
        await token({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: jwt }),
        'invalid_request',
        'Invalid client assertion issuer'
      );
    },
  },
  {
    name: 'Client assertion invalid signature',
    run: async () => {
      const { privateKey } = await generateKeyPair('ES384');
      const jwt = await assertion({ iss: assertionClient.id, sub: assertionClient.id }, privateKey);
      expectError(
        await token({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: jwt }),
        'invalid_request',
        'Invalid client assertion signature'
      );
    },
  },
  {
    // Medplum mocks jose; here the client's JWK Set really holds two keys that match the header, the second signed it.
    name: 'Client assertion multiple matching 3rd check success',
    run: async () => {
      const jwt = await assertion({ iss: multiKeyClient.id, sub: multiKeyClient.id }, secondMatchingKey);
      const res = await token({
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER,
        client_assertion: jwt,
      });
      expect(res.status).toBe(200);
    },
  },
  {
    name: 'Client assertion multiple inner error',
    run: async () => {
      const { privateKey } = await generateKeyPair('ES384');
      const jwt = await assertion({ iss: multiKeyClient.id, sub: multiKeyClient.id }, privateKey);
      const res = await token({
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER,
        client_assertion: jwt,
      });
      expect(res.status).toBe(400);
    },
  },
  {
    name: 'Client assertion invalid assertion type',
    run: async () => {
      const jwt = await assertion({ iss: assertionClient.id, sub: assertionClient.id });
      expectError(
        await token({
          grant_type: 'client_credentials',
          client_assertion_type: 'urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer',
          client_assertion: jwt,
        }),
        'invalid_request',
        'Unsupported client assertion type'
      );
    },
  },
  {
    name: 'Client assertion missing JWT',
    run: async () =>
      expectError(
        await token({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: '' }),
        'invalid_request',
        'Invalid client assertion'
      ),
  },
  {
    name: 'Client assertion invalid JWT',
    run: async () =>
      expectError(
        await token({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: 'foo' }),
        'invalid_request',
        'Invalid client assertion'
      ),
  },
  {
    name: 'Smart App Launch tokens',
    run: async () => {
      const { code } = await login({
        clientId: client.id,
        launch: launches.plain,
        codeChallenge: 'xyz',
        codeChallengeMethod: 'plain',
      });
      const res = await token({
        grant_type: 'authorization_code',
        code,
        client_id: client.id,
        client_secret: client.secret as string,
        code_verifier: 'xyz',
      });
      expect(res.status).toBe(200);
      expect(res.body.patient).toBeDefined();
      expect(res.body.encounter).toBeDefined();
    },
  },
  ...(
    [
      ['patient', 'patientIdentifier', '0e4af968e733693405e943e1'],
      ['encounter', 'encounterIdentifier', 'VISIT-12345'],
    ] as const
  ).map(
    ([field, launchName, externalId]): Case => ({
      name: `Smart App Launch with ${field} identifier returns identifier value`,
      run: async () => {
        const { code } = await login({
          clientId: client.id,
          launch: launches[launchName],
          codeChallenge: 'xyz',
          codeChallengeMethod: 'plain',
        });
        const res = await token({
          grant_type: 'authorization_code',
          code,
          client_id: client.id,
          client_secret: client.secret as string,
          code_verifier: 'xyz',
        });
        expect(res.status).toBe(200);
        expect(res.body[field]).toBe(externalId);
      },
    })
  ),
  {
    name: 'Token exchange JSON success',
    options: { seedBound: SEED_BOUND.externalIdp },
    run: async () => {
      userInfoAnswers(JSON.stringify({ email: carol.email }), 'application/json');
      const res = await exchange(externalAuthClient.id);
      expect(res.status).toBe(200);
      expect(res.body.access_token).toBeTruthy();
    },
  },
  {
    name: 'Token exchange JWT success',
    options: { seedBound: SEED_BOUND.externalIdp },
    run: async () => {
      const payload = Buffer.from(JSON.stringify({ email: carol.email })).toString('base64url');
      userInfoAnswers(`header.${payload}.signature`, 'application/jwt');
      const res = await exchange(externalAuthClient.id);
      expect(res.status).toBe(200);
      expect(res.body.access_token).toBeTruthy();
    },
  },
  {
    name: 'Token exchange unsupported content type',
    options: { seedBound: SEED_BOUND.externalIdp },
    run: async () => {
      userInfoAnswers('', 'text/plain');
      expectError(
        await exchange(externalAuthClient.id),
        'invalid_request',
        'Failed to verify code - unsupported content type: text/plain'
      );
    },
  },
  {
    name: 'Too many requests',
    options: { seedBound: SEED_BOUND.emulatorOption },
    run: async () => {
      userInfoAnswers('', 'application/json', 429);
      expectError(await exchange(externalAuthClient.id), 'invalid_request', 'Too Many Requests', 429);
    },
  },
  {
    name: 'Token exchange missing client ID',
    run: async () => expectError(await exchange(''), 'invalid_request', 'Invalid client'),
  },
  {
    name: 'Token exchange missing subject token',
    run: async () => expectError(await exchange(externalAuthClient.id, ''), 'invalid_request', 'Invalid subject_token'),
  },
  {
    name: 'Token exchange unknown subject token type',
    run: async () =>
      expectError(
        await exchange(externalAuthClient.id, 'xyz', 'urn:ietf:params:oauth:token-type:saml1'),
        'invalid_request',
        'Invalid subject_token_type'
      ),
  },
  {
    name: 'FHIRcast scopes NOT added - should not have Hub topic or URL',
    run: async () => {
      const res = await token({
        grant_type: 'client_credentials',
        client_id: client.id,
        client_secret: client.secret as string,
      });
      expectSuccess(res);
      expect(res.body['hub.topic']).toBeUndefined();
      expect(res.body['hub.url']).toBeUndefined();
    },
  },
  {
    name: 'mTLS error on client not found',
    run: async () =>
      expectError(
        await token(
          { grant_type: 'client_credentials', client_id: randomUUID() },
          { 'x-mtls-cert': encodeURIComponent('invalid-cert') }
        ),
        'invalid_request',
        'Error reading client: Not found'
      ),
  },
  {
    name: 'mTLS error missing trust store',
    run: async () =>
      expectError(
        await token(
          { grant_type: 'client_credentials', client_id: client.id },
          { 'x-mtls-cert': encodeURIComponent('fake-cert') }
        ),
        'invalid_request',
        'Client does not have a configured certificate trust store'
      ),
  },
  {
    name: 'mTLS with self-signed certificate success',
    run: async () =>
      expectSuccess(
        await token(
          { grant_type: 'client_credentials', client_id: mtlsClient.id },
          { 'x-mtls-cert': encodeURIComponent(certificate) }
        )
      ),
  },
];

/** Only in the older token.test.ts (00825e37). */
const olderOnly: Case[] = [
  {
    name: 'Token exchange missing client identity provider',
    run: async () => expectError(await exchange(client.id), 'invalid_request', 'Invalid client'),
  },
];

/** Only in the newer token.int.test.ts (96d5e775). */
const newerOnly: Case[] = [
  {
    name: 'Refresh token membership inactive',
    run: async () => {
      const res = await signInAndExchange({ scope: 'openid offline_access' }, ivy);
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toBeDefined();
      await deactivateMembership(ivy.membershipId);
      expectError(
        await token({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token as string }),
        'access_denied',
        'Profile not active'
      );
    },
  },
  {
    name: 'Refresh token Basic auth failure incorrect secret',
    run: async () => {
      const res = await signInAndExchange({ clientId: client.id, scope: 'openid offline_access' });
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toBeDefined();
      expectError(
        await token(
          { grant_type: 'refresh_token', refresh_token: res.body.refresh_token as string },
          { Authorization: basic(client.id, randomUUID()) }
        ),
        'invalid_request',
        'Invalid secret'
      );
    },
  },
  {
    name: 'Token exchange rejects identity provider without user info URL',
    run: async () => {
      userInfoAnswers('{}', 'application/json');
      expectError(await exchange(noUserInfoClient.id, 'opaque-token'), 'invalid_request', 'Missing user info URL');
      expect(userInfoCalls).toEqual([]);
    },
  },
  {
    name: 'Token exchange rejects unknown client ID',
    run: async () => {
      userInfoAnswers('{}', 'application/json');
      expectError(await exchange(randomUUID(), 'opaque-token'), 'invalid_request', 'Invalid client');
      expect(userInfoCalls).toEqual([]);
    },
  },
  {
    name: 'Token exchange rejects client without identity provider or server config match',
    run: async () => {
      userInfoAnswers('{}', 'application/json');
      expectError(await exchange(client.id, 'opaque-token'), 'invalid_request', 'Invalid client');
      expect(userInfoCalls).toEqual([]);
    },
  },
  {
    name: 'Token exchange invalid external URL',
    options: { seedBound: SEED_BOUND.externalIdp },
    run: async () => {
      userInfoCalls = [];
      userInfo = () => Promise.reject(new TypeError('fetch failed'));
      expectError(
        await exchange(invalidAuthClient.id),
        'invalid_request',
        'Failed to verify code - check your identity provider configuration'
      );
      expect(userInfoCalls.length).toBeGreaterThan(0);
    },
  },
  {
    name: 'Grant types refresh_token should include refresh token',
    run: async () =>
      expectTokens(
        await signInAndExchange({ scope: 'openid', clientId: refreshGrantClient.id }),
        'openid',
        'with refresh'
      ),
  },
  {
    name: 'Pre-authorized code with missing client_id',
    run: async () =>
      expectError(
        await token({ grant_type: PRE_AUTHORIZED_CODE, 'pre-authorized_code': 'big-long-string' }),
        'invalid_request',
        'Missing client_id'
      ),
  },
  {
    name: 'Pre-authorized code with missing code',
    run: async () =>
      expectError(
        await token({ grant_type: PRE_AUTHORIZED_CODE, client_id: target.client.id }),
        'invalid_request',
        'Missing pre-authorized_code'
      ),
  },
  {
    name: 'Pre-authorized code with invalid client_id',
    run: async () =>
      expectError(
        await token({
          grant_type: PRE_AUTHORIZED_CODE,
          'pre-authorized_code': 'big-long-string',
          client_id: 'invalid-client-id',
        }),
        'invalid_client',
        'Invalid client'
      ),
  },
  {
    name: 'Pre-authorized code with invalid code',
    run: async () =>
      expectError(
        await token({
          grant_type: PRE_AUTHORIZED_CODE,
          client_id: target.client.id,
          'pre-authorized_code': 'invalid-code',
        }),
        'invalid_request',
        'Invalid pre-authorized_code'
      ),
  },
  {
    name: 'Pre-authorized code expired',
    options: { seedBound: SEED_BOUND.login },
    run: async () =>
      expectError(
        await token({
          grant_type: PRE_AUTHORIZED_CODE,
          client_id: client.id,
          'pre-authorized_code': expiredPreAuthorizedCode,
        }),
        'invalid_grant',
        'Pre-authorized code expired'
      ),
  },
  {
    name: 'Pre-authorized code success',
    run: async () => {
      const admin = await clientCredentialsToken(target);
      const preauthorize = await answer(
        await fetch(`${target.baseUrl}auth/preauthorize`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${admin.access_token}`,
            'X-Medplum-On-Behalf-Of': `Practitioner/${carol.profileId}`,
            'Content-Type': 'application/json',
          },
          body: JSON.stringify({ clientId: adminClient.id }),
        })
      );
      expect(preauthorize.status).toBe(200);
      expect(preauthorize.body.preAuthorizedCode).toBeDefined();
      expect(preauthorize.body.code).toBeUndefined();
      const fields = {
        grant_type: PRE_AUTHORIZED_CODE,
        client_id: adminClient.id,
        'pre-authorized_code': preauthorize.body.preAuthorizedCode as string,
      };
      expectTokens(await token(fields), 'openid', 'without refresh');
      expectError(await token(fields), 'invalid_grant', 'Token already granted');
    },
  },
];

jestFile.describe(() => {
  for (const c of [...shared, ...olderOnly]) jestFile.it(c.name, c.options ?? {}, () => c.run('openid offline'));
});

vitestFile.describe(() => {
  for (const c of [...shared, ...newerOnly]) {
    vitestFile.it(c.name, c.options ?? {}, () => c.run('openid offline_access'));
  }
});

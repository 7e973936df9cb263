import { createHash, randomBytes } from 'node:crypto';
import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';
import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, alice, aliceSecondMembershipId, bob, shortLivedClient, webClient } from '../fixtures/seed.ts';
import { itSeedBound, SEED_BOUND } from './seed-bound.ts';
import type { ContractTarget } from './target.ts';
import { decodePayload, form, startTarget, waitUntilExpired } from './target.ts';

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

/**
 * The fixture's tokens live one minute (or two seconds), less than MedplumClient's default 5-minute refresh grace
 * period, which would make it refresh before every request; a zero grace period lets tokens run to their real expiry.
 */
function newClient(clientId = webClient.id): MedplumClient {
  return new MedplumClient({
    baseUrl: target.baseUrl,
    clientId,
    storage: new ClientStorage(new MemoryStorage()),
    refreshGracePeriod: 0,
  });
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function postJson(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${target.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** `POST auth/login` as SignInForm sends it, with our own PKCE pair; returns the code. */
async function loginCode(scope = 'openid', challenge = pkce()): Promise<{ code: string; verifier: string }> {
  const { status, json } = await postJson('auth/login', {
    email: alice.email,
    password: alice.password,
    clientId: webClient.id,
    scope,
    codeChallenge: challenge.challenge,
    codeChallengeMethod: 'S256',
  });
  expect(status).toBe(200);
  return { code: json.code as string, verifier: challenge.verifier };
}

async function exchange(fields: Record<string, string>) {
  const response = await fetch(`${target.baseUrl}oauth2/token`, form(fields));
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe(`password sign-in`, () => {
  it('MedplumClient.startLogin + processCode signs in and loads the profile from /auth/me', async () => {
    const medplum = newClient();
    const response = await medplum.startLogin({ email: alice.email, password: alice.password });
    expect(response.login).toBeDefined();
    expect(response.code).toBeDefined();
    const profile = await medplum.processCode(response.code as string);
    expect(profile?.resourceType).toBe('Practitioner');
    expect(profile?.id).toBe(alice.practitionerId);
    expect(medplum.getProject()?.id).toBeDefined();
    expect(medplum.getProjectMembership()?.id).toBe(alice.membershipId);
    const claims = decodePayload(medplum.getAccessToken() as string);
    expect(claims).toMatchObject({
      sub: alice.userId,
      client_id: webClient.id,
      profile: `Practitioner/${alice.practitionerId}`,
    });
    const created = await medplum.createResource<Patient>({ resourceType: 'Patient' });
    expect(created.meta?.author?.reference).toBe(`Practitioner/${alice.practitionerId}`);
  });

  it('SignInForm’s calls: auth/method, then auth/login, then auth/login/:login refuses a granted login', async () => {
    expect(await postJson('auth/method', { email: alice.email })).toEqual({ status: 200, json: {} });
    const { code, verifier } = await loginCode();
    const granted = await exchange({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: webClient.id,
    });
    expect(granted.status).toBe(200);
    const loginId = decodePayload(granted.json.access_token as string).login_id as string;
    const status = await fetch(`${target.baseUrl}auth/login/${loginId}`);
    expect(status.status).toBe(400);
    expect(issueTexts(await status.json())).toEqual(['Login already granted']);
  });

  it('wrong password → 400 "Email or password is invalid"; unknown user → "User not found"', async () => {
    const wrong = await postJson('auth/login', {
      email: alice.email,
      password: 'not-her-password',
      clientId: webClient.id,
    });
    expect(wrong.status).toBe(400);
    expect(issueTexts(wrong.json)).toEqual(['Email or password is invalid']);
    const unknown = await postJson('auth/login', { email: 'nobody@example.com', password: 'whatever-password' });
    expect(unknown.status).toBe(400);
    expect(issueTexts(unknown.json)).toEqual(['User not found']);
  });

  it('invalid fields → one issue per field, with the field as expression', async () => {
    const { status, json } = await postJson('auth/login', { email: 'not-an-email', password: 'short' });
    expect(status).toBe(400);
    const issues = json.issue as { expression: string[] }[];
    expect(issues.map((issue) => issue.expression[0])).toEqual(['email', 'password']);
  });

  it('missing code_verifier → "Missing code verifier"; wrong verifier → "Invalid code verifier"', async () => {
    const { code } = await loginCode();
    expect((await exchange({ grant_type: 'authorization_code', code })).json).toEqual({
      error: 'invalid_request',
      error_description: 'Missing code verifier',
    });
    expect((await exchange({ grant_type: 'authorization_code', code, code_verifier: 'wrong' })).json).toEqual({
      error: 'invalid_request',
      error_description: 'Invalid code verifier',
    });
  });

  it('a code from a login started without PKCE → "Missing verification context"', async () => {
    const { json } = await postJson('auth/login', {
      email: alice.email,
      password: alice.password,
      clientId: webClient.id,
    });
    const result = await exchange({ grant_type: 'authorization_code', code: json.code as string, code_verifier: 'x' });
    expect(result.json).toEqual({ error: 'invalid_request', error_description: 'Missing verification context' });
  });

  it('a code works once: reuse → invalid_grant "Token already granted", and the login it created is revoked', async () => {
    const { code, verifier } = await loginCode();
    const first = await exchange({ grant_type: 'authorization_code', code, code_verifier: verifier });
    expect(first.status).toBe(200);
    const headers = { Authorization: `Bearer ${first.json.access_token}` };
    expect((await fetch(`${target.baseUrl}auth/me`, { headers })).status).toBe(200);

    const second = await exchange({ grant_type: 'authorization_code', code, code_verifier: verifier });
    expect(second).toEqual({
      status: 400,
      json: { error: 'invalid_grant', error_description: 'Token already granted' },
    });
    expect((await fetch(`${target.baseUrl}auth/me`, { headers })).status).toBe(401);
  });

  it('a code for another client → "Invalid client"', async () => {
    const { code, verifier } = await loginCode();
    const result = await exchange({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: target.client.id,
    });
    expect(result.json).toEqual({ error: 'invalid_request', error_description: 'Invalid client' });
  });
});

describe(`choosing a profile and scopes`, () => {
  itSeedBound(
    SEED_BOUND.secondProject,
    'several memberships → auth/login lists them; auth/profile picks one and returns a code for it',
    async () => {
      const challenge = pkce();
      const login = await postJson('auth/login', {
        email: alice.email,
        password: alice.password,
        codeChallenge: challenge.challenge,
        codeChallengeMethod: 'S256',
      });
      expect(login.status).toBe(200);
      expect(login.json.code).toBeUndefined();
      const memberships = login.json.memberships as { id: string }[];
      expect(memberships.map((m) => m.id).sort()).toEqual([alice.membershipId, aliceSecondMembershipId].sort());

      const notHers = await postJson('auth/profile', { login: login.json.login, profile: bob.membershipId });
      expect(notHers.status).toBe(400);
      // Another user's membership: Medplum's setLoginMembership says "Invalid profile".
      expect((notHers.json.issue as { details: { text: string } }[])[0]?.details.text).toBe('Invalid profile');

      const chosen = await postJson('auth/profile', { login: login.json.login, profile: aliceSecondMembershipId });
      expect(chosen.status).toBe(200);
      const tokens = await exchange({
        grant_type: 'authorization_code',
        code: chosen.json.code as string,
        code_verifier: challenge.verifier,
      });
      expect(tokens.json.project).toMatchObject({ reference: expect.stringContaining('000000000002') });

      const again = await postJson('auth/profile', { login: login.json.login, profile: alice.membershipId });
      expect(again.status).toBe(400);
      expect((again.json.issue as { details: { text: string } }[])[0]?.details.text).toBe('Login granted');
    }
  );

  it('auth/scope narrows the scope; it cannot widen it', async () => {
    const challenge = pkce();
    const login = await postJson('auth/login', {
      email: alice.email,
      password: alice.password,
      clientId: webClient.id,
      scope: 'openid profile email',
      codeChallenge: challenge.challenge,
      codeChallengeMethod: 'S256',
    });
    const wider = await postJson('auth/scope', { login: login.json.login, scope: 'openid offline_access' });
    expect(wider.status).toBe(400);
    expect(issueTexts(wider.json)).toEqual(['Invalid scope']);
    const narrower = await postJson('auth/scope', { login: login.json.login, scope: 'openid profile' });
    expect(narrower.status).toBe(200);
    const tokens = await exchange({
      grant_type: 'authorization_code',
      code: narrower.json.code as string,
      code_verifier: challenge.verifier,
    });
    expect(tokens.json.scope).toBe('openid profile');
  });
});

describe(`pkceOptional clients`, () => {
  it('need no verifier; a secret, when sent, must be right', async () => {
    const code = async () =>
      (await postJson('auth/login', { email: alice.email, password: alice.password, clientId: adminClient.id })).json
        .code as string;
    expect(
      (await exchange({ grant_type: 'authorization_code', code: await code(), client_secret: 'wrong' })).json
    ).toEqual({
      error: 'invalid_request',
      error_description: 'Invalid secret',
    });
    const withSecret = await exchange({
      grant_type: 'authorization_code',
      code: await code(),
      client_id: adminClient.id,
      client_secret: adminClient.secret,
    });
    expect(withSecret.status).toBe(200);
    expect((await exchange({ grant_type: 'authorization_code', code: await code() })).status).toBe(200);
  });
});

describe(`refresh tokens`, () => {
  it('come only with offline access and rotate on use; a token two rotations old is refused', async () => {
    const online = await loginCode('openid');
    const noRefresh = await exchange({
      grant_type: 'authorization_code',
      code: online.code,
      code_verifier: online.verifier,
    });
    expect(noRefresh.json.refresh_token).toBeUndefined();

    const offline = await loginCode('openid offline_access');
    const tokens = await exchange({
      grant_type: 'authorization_code',
      code: offline.code,
      code_verifier: offline.verifier,
    });
    const firstRefresh = tokens.json.refresh_token as string;
    expect(firstRefresh).toBeDefined();

    const refreshed = await exchange({
      grant_type: 'refresh_token',
      refresh_token: firstRefresh,
      client_id: webClient.id,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.refresh_token).not.toBe(firstRefresh);
    expect(refreshed.json.access_token).not.toBe(tokens.json.access_token);

    // Within Medplum's grace period the token just replaced still works, for the same (current) secret.
    const retried = await exchange({ grant_type: 'refresh_token', refresh_token: firstRefresh });
    expect(retried.status).toBe(200);
    const secretOf = (token: unknown) => decodePayload(token as string).refresh_secret;
    expect(secretOf(retried.json.refresh_token)).toBe(secretOf(refreshed.json.refresh_token));

    const next = await exchange({ grant_type: 'refresh_token', refresh_token: refreshed.json.refresh_token as string });
    expect(next.status).toBe(200);

    // Two rotations back, the first token matches neither the current nor the previous secret.
    const stale = await exchange({ grant_type: 'refresh_token', refresh_token: firstRefresh });
    expect(stale).toEqual({ status: 400, json: { error: 'invalid_request', error_description: 'Invalid token' } });
  });

  it('MedplumClient refreshes an expired access token by itself before the next request', async () => {
    const medplum = newClient(shortLivedClient.id);
    const login = await medplum.startLogin({
      email: alice.email,
      password: alice.password,
      scope: 'openid offline_access',
    });
    await medplum.processCode(login.code as string);
    const expired = medplum.getAccessToken() as string;
    await waitUntilExpired(expired);
    expect((await fetch(`${target.baseUrl}auth/me`, { headers: { Authorization: `Bearer ${expired}` } })).status).toBe(
      401
    );

    const patients = await medplum.searchResources('Patient');
    expect(patients.length).toBeGreaterThan(0);
    expect(medplum.getAccessToken()).not.toBe(expired);
  });

  it('with a Basic header: another client → "Incorrect client"; an empty secret → "Incorrect client secret"', async () => {
    const offline = await loginCode('openid offline_access');
    const tokens = await exchange({
      grant_type: 'authorization_code',
      code: offline.code,
      code_verifier: offline.verifier,
    });
    const refresh = (authorization: string) =>
      fetch(`${target.baseUrl}oauth2/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: authorization },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token as string }),
      }).then((r) => r.json());
    const encode = (value: string) => `Basic ${Buffer.from(value).toString('base64')}`;
    expect(await refresh(encode(`${adminClient.id}:${adminClient.secret}`))).toEqual({
      error: 'invalid_grant',
      error_description: 'Incorrect client',
    });
    expect(await refresh(encode(`${webClient.id}:`))).toEqual({
      error: 'invalid_grant',
      error_description: 'Incorrect client secret',
    });
  });

  it('a refresh token of a logged-out login → invalid_grant "Token revoked"', async () => {
    const offline = await loginCode('openid offline_access');
    const tokens = await exchange({
      grant_type: 'authorization_code',
      code: offline.code,
      code_verifier: offline.verifier,
    });
    await fetch(`${target.baseUrl}oauth2/logout`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.json.access_token}`, 'Content-Type': 'application/fhir+json' },
      body: '{}',
    });
    const result = await exchange({ grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token as string });
    expect(result.json).toEqual({ error: 'invalid_grant', error_description: 'Token revoked' });
  });
});

describe(`userinfo`, () => {
  it('returns the User id as sub, and the email with the email scope', async () => {
    const { code, verifier } = await loginCode('openid profile email');
    const tokens = await exchange({ grant_type: 'authorization_code', code, code_verifier: verifier });
    const response = await fetch(`${target.baseUrl}oauth2/userinfo`, {
      headers: { Authorization: `Bearer ${tokens.json.access_token}` },
    });
    expect(await response.json()).toMatchObject({
      sub: alice.userId,
      email: alice.email,
      given_name: 'Alice',
      family_name: 'Smith',
    });
  });
});

/** The `details.text` of every issue of an OperationOutcome body: the exact answer, not a substring of the JSON. */
function issueTexts(body: unknown): (string | undefined)[] {
  return ((body as { issue?: { details?: { text?: string } }[] }).issue ?? []).map((issue) => issue.details?.text);
}

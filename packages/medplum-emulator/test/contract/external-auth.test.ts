import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alice, assertionClient, buildSeed, externalClient } from '../fixtures/seed.ts';
import type { StandIn } from './identity-provider-stand-in.ts';
import { STAND_IN, startStandIn } from './identity-provider-stand-in.ts';
import type { ContractTarget } from './target.ts';
import { form, startTarget } from './target.ts';

let standIn: StandIn;
let target: ContractTarget;
beforeAll(async () => {
  standIn = await startStandIn(alice, { id: externalClient.idpClientId, secret: externalClient.idpClientSecret });
  target = await startTarget({
    seed: buildSeed({ jwksUri: `${standIn.url}client-jwks`, identityProviderUrl: standIn.url }),
  });
});
afterAll(async () => {
  await target.stop();
  await standIn.stop();
});

async function token(fields: Record<string, string>) {
  const response = await fetch(`${target.baseUrl}oauth2/token`, form(fields));
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe(`private_key_jwt client assertions`, () => {
  const tokenUrl = () => `${target.baseUrl}oauth2/token`;

  it('MedplumClient.startJwtAssertionLogin signs in with an assertion verified against the client’s jwksUri', async () => {
    const assertion = await standIn.signClientAssertion({
      iss: assertionClient.id,
      sub: assertionClient.id,
      aud: tokenUrl(),
    });
    const medplum = new MedplumClient({ baseUrl: target.baseUrl, storage: new ClientStorage(new MemoryStorage()) });
    const profile = await medplum.startJwtAssertionLogin(assertion);
    expect(profile?.id).toBe(assertionClient.id);
  });

  it('rejects a wrong audience, iss ≠ sub, an unknown client and a foreign signature', async () => {
    const fields = (assertion: string) => ({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    const wrongAudience = await standIn.signClientAssertion({
      iss: assertionClient.id,
      sub: assertionClient.id,
      aud: 'http://elsewhere/token',
    });
    expect((await token(fields(wrongAudience))).json.error_description).toBe('Invalid client assertion audience');

    const wrongIssuer = await standIn.signClientAssertion({
      iss: assertionClient.id,
      sub: 'someone',
      aud: tokenUrl(),
    });
    expect((await token(fields(wrongIssuer))).json.error_description).toBe('Invalid client assertion issuer');

    const unknown = await standIn.signClientAssertion({ iss: 'nobody', sub: 'nobody', aud: tokenUrl() });
    expect((await token(fields(unknown))).json.error_description).toBe('Client not found');

    const otherKey = await generateKeyPair('ES256');
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'client' })
      .setIssuer(assertionClient.id)
      .setSubject(assertionClient.id)
      .setAudience(tokenUrl())
      .setExpirationTime('5m')
      .sign(otherKey.privateKey);
    expect(await token(fields(forged))).toEqual({
      status: 400,
      json: { error: 'invalid_request', error_description: 'Invalid client assertion signature' },
    });

    expect((await token(fields('not-a-jwt'))).json.error_description).toBe('Invalid client assertion');
    const wrongType = { ...fields(forged), client_assertion_type: 'urn:example:other' };
    expect((await token(wrongType)).json.error_description).toBe('Unsupported client assertion type');
  });
});

describe(`token exchange`, () => {
  it('MedplumClient.exchangeExternalAccessToken trades an identity-provider token for Medplum tokens with a refresh token', async () => {
    const medplum = new MedplumClient({
      baseUrl: target.baseUrl,
      clientId: externalClient.id,
      storage: new ClientStorage(new MemoryStorage()),
      refreshGracePeriod: 0,
    });
    const profile = await medplum.exchangeExternalAccessToken(STAND_IN.accessToken);
    expect(profile.id).toBe(alice.practitionerId);
    expect(medplum.getActiveLogin()?.refreshToken).toBeDefined();
  });

  it('an access token the identity provider rejects → 400; a 429 there → 429', async () => {
    const fields = (subject_token: string) => ({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      client_id: externalClient.id,
      subject_token,
    });
    expect(await token(fields('forged'))).toEqual({
      status: 400,
      json: {
        error: 'invalid_request',
        error_description: 'Failed to verify code - check your identity provider configuration',
      },
    });
    expect((await token(fields(STAND_IN.rateLimitedToken))).status).toBe(429);
    expect((await token({ ...fields(STAND_IN.accessToken), subject_token_type: 'x' })).json.error_description).toBe(
      'Invalid subject_token_type'
    );
    expect(
      (await token({ ...fields(STAND_IN.accessToken), client_id: assertionClient.id })).json.error_description
    ).toBe('Invalid client');
  });
});

describe(`/auth/external`, () => {
  it('exchanges the identity provider’s code, verifies its id_token and redirects to the client with login and code', async () => {
    const medplum = new MedplumClient({
      baseUrl: target.baseUrl,
      clientId: externalClient.id,
      storage: new ClientStorage(new MemoryStorage()),
      refreshGracePeriod: 0,
    });
    const { codeChallenge, codeChallengeMethod } = await medplum.startPkce();
    const state = JSON.stringify({
      clientId: externalClient.id,
      redirectUri: externalClient.redirectUri,
      codeChallenge,
      codeChallengeMethod,
    });
    const response = await fetch(
      `${target.baseUrl}auth/external?code=${STAND_IN.code}&state=${encodeURIComponent(state)}`,
      { redirect: 'manual' }
    );
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') as string);
    expect(`${location.origin}${location.pathname}`).toBe(externalClient.redirectUri);
    expect(location.searchParams.get('login')).toBeTruthy();
    const profile = await medplum.processCode(location.searchParams.get('code') as string);
    expect(profile?.id).toBe(alice.practitionerId);
  });

  it('a code the identity provider refuses → 400; bad state → 400; a redirectUri the client does not list → 400', async () => {
    const state = JSON.stringify({ clientId: externalClient.id, redirectUri: externalClient.redirectUri });
    const refused = await fetch(`${target.baseUrl}auth/external?code=wrong&state=${encodeURIComponent(state)}`);
    expect(refused.status).toBe(400);
    expect((await fetch(`${target.baseUrl}auth/external?code=x&state=not-json`)).status).toBe(400);
    expect((await fetch(`${target.baseUrl}auth/external?state=${encodeURIComponent(state)}`)).status).toBe(400);
    const elsewhere = JSON.stringify({ clientId: externalClient.id, redirectUri: 'http://evil.example/' });
    const response = await fetch(
      `${target.baseUrl}auth/external?code=${STAND_IN.code}&state=${encodeURIComponent(elsewhere)}`,
      {
        redirect: 'manual',
      }
    );
    expect(response.status).toBe(400);
  });
});

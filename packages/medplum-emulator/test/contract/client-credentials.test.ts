import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractTarget } from './target.ts';
import { basic, decodePayload, form, startTarget } from './target.ts';

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

function client(options: Partial<ConstructorParameters<typeof MedplumClient>[0]> = {}): MedplumClient {
  return new MedplumClient({ baseUrl: target.baseUrl, storage: new ClientStorage(new MemoryStorage()), ...options });
}

async function token(fields: Record<string, string>, headers: Record<string, string> = {}) {
  const init = form(fields);
  const response = await fetch(`${target.baseUrl}oauth2/token`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), ...headers },
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', text, json: safeJson(text) };
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

describe('client credentials', () => {
  it('MedplumClient.startClientLogin (client_secret_post) gets a Medplum access token and the profile', async () => {
    const medplum = client({ clientId: target.client.id });
    const profile = await medplum.startClientLogin(target.client.id, target.client.secret);
    expect(profile?.resourceType).toBe('ClientApplication');
    expect(profile?.id).toBe(target.client.id);
    const claims = decodePayload(medplum.getAccessToken() as string);
    expect(typeof claims.login_id).toBe('string');
    expect(claims.client_id).toBe(target.client.id);
    expect(claims.sub).toBe(target.client.id);
    expect(claims.profile).toBe(`ClientApplication/${target.client.id}`);
    expect(typeof claims.exp).toBe('number');
  });

  it('accepts client_secret_basic (authCredentialsMethod: header)', async () => {
    const medplum = client({ clientId: target.client.id, authCredentialsMethod: 'header' });
    const profile = await medplum.startClientLogin(target.client.id, target.client.secret);
    expect(profile?.id).toBe(target.client.id);
  });

  it('answers with Medplum’s token response fields and no refresh token, even when offline access is asked for', async () => {
    const result = await token(
      { grant_type: 'client_credentials', scope: 'openid offline_access' },
      { Authorization: basic(target.client.id, target.client.secret) }
    );
    expect(result.status).toBe(200);
    const body = result.json as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access' });
    expect(typeof body.expires_in).toBe('number');
    expect(typeof body.access_token).toBe('string');
    expect(typeof body.id_token).toBe('string');
    expect(body.project).toMatchObject({ reference: expect.stringMatching(/^Project\//) });
    expect(body.profile).toMatchObject({ reference: `ClientApplication/${target.client.id}` });
    expect(body.refresh_token).toBeUndefined();
    const header = JSON.parse(
      Buffer.from((body.access_token as string).split('.')[0] as string, 'base64url').toString()
    );
    const jwks = (await (await fetch(`${target.baseUrl}.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toContain(header.kid);
  });
});

describe('token endpoint rejections (HTTP 400, never 401 or invalid_client)', () => {
  it('wrong secret → invalid_request "Invalid secret"', async () => {
    const result = await token({
      grant_type: 'client_credentials',
      client_id: target.client.id,
      client_secret: 'wrong',
    });
    expect(result.status).toBe(400);
    expect(result.json).toEqual({ error: 'invalid_request', error_description: 'Invalid secret' });
  });

  it('wrong secret through MedplumClient rejects the login', async () => {
    const medplum = client({ clientId: target.client.id });
    await expect(medplum.startClientLogin(target.client.id, 'wrong')).rejects.toThrow('Invalid secret');
  });

  it('wrong secret as Basic → "Invalid secret"', async () => {
    const result = await token(
      { grant_type: 'client_credentials' },
      { Authorization: basic(target.client.id, 'nope') }
    );
    expect(result.status).toBe(400);
    expect(result.json).toEqual({ error: 'invalid_request', error_description: 'Invalid secret' });
  });

  it('unknown client → "Invalid client"', async () => {
    const result = await token({
      grant_type: 'client_credentials',
      client_id: '00000000-0000-4000-8000-00000000dead',
      client_secret: 'whatever',
    });
    expect(result.status).toBe(400);
    expect(result.json).toEqual({ error: 'invalid_request', error_description: 'Invalid client' });
  });

  it('missing client_secret → "Missing client_secret"', async () => {
    const result = await token({ grant_type: 'client_credentials', client_id: target.client.id });
    expect(result.json).toEqual({ error: 'invalid_request', error_description: 'Missing client_secret' });
  });

  it('missing client_id → "Missing client_id"', async () => {
    const result = await token({ grant_type: 'client_credentials' });
    expect(result.json).toEqual({ error: 'invalid_request', error_description: 'Missing client_id' });
  });

  it('missing grant_type → "Missing grant_type"', async () => {
    const result = await token({});
    expect(result.status).toBe(400);
    expect(result.json).toEqual({ error: 'invalid_request', error_description: 'Missing grant_type' });
  });

  it('the jwt-bearer grant is not supported', async () => {
    const result = await token({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: 'x' });
    expect(result.status).toBe(400);
    expect(result.json).toEqual({ error: 'invalid_request', error_description: 'Unsupported grant_type' });
  });

  it('a non-form body is a plain-text 400', async () => {
    const response = await fetch(`${target.baseUrl}oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('Unsupported content type');
  });

  it('an Authorization header that is not Basic → "Invalid authorization header"', async () => {
    const result = await token({ grant_type: 'client_credentials' }, { Authorization: 'Bearer abc' });
    expect(result.json).toEqual({ error: 'invalid_request', error_description: 'Invalid authorization header' });
  });

  it('an unknown authorization code → "Invalid code"', async () => {
    const result = await token({ grant_type: 'authorization_code', code: 'not-a-code', code_verifier: 'x' });
    expect(result.json).toEqual({ error: 'invalid_request', error_description: 'Invalid code' });
  });

  it('a refresh token that is not one → "Invalid refresh token"', async () => {
    const result = await token({ grant_type: 'refresh_token', refresh_token: 'not-a-jwt' });
    expect(result.json).toEqual({ error: 'invalid_request', error_description: 'Invalid refresh token' });
  });
});

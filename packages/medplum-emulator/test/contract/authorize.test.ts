import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alice, webClient } from '../fixtures/seed.ts';
import type { ContractTarget } from './target.ts';
import { startTarget } from './target.ts';

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

function authorizeUrl(params: Record<string, string>): string {
  const url = new URL(`${target.baseUrl}oauth2/authorize`);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

/** The hidden fields of the sign-in page's form, as a browser would submit them. */
function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1] as string] = (match[2] as string).replaceAll('&amp;', '&').replaceAll('&quot;', '"');
  }
  return fields;
}

describe(`authorize → sign-in page → code`, () => {
  it('MedplumClient processes the code the sign-in page redirects with', async () => {
    const medplum = new MedplumClient({
      baseUrl: target.baseUrl,
      clientId: webClient.id,
      storage: new ClientStorage(new MemoryStorage()),
      refreshGracePeriod: 0,
    });
    const { codeChallenge, codeChallengeMethod } = await medplum.startPkce();
    const page = await fetch(
      authorizeUrl({
        response_type: 'code',
        client_id: webClient.id,
        redirect_uri: webClient.redirectUri,
        scope: 'openid profile',
        state: 'state-123',
        code_challenge: codeChallenge,
        code_challenge_method: codeChallengeMethod,
      })
    );
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<form method="post" action="sign-in">');

    const signIn = await fetch(`${target.baseUrl}oauth2/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...formFields(html), email: alice.email, password: alice.password }).toString(),
    });
    expect(signIn.status).toBe(302);
    const location = new URL(signIn.headers.get('location') as string);
    expect(`${location.origin}${location.pathname}`).toBe(webClient.redirectUri);
    expect(location.searchParams.get('state')).toBe('state-123');

    const profile = await medplum.processCode(location.searchParams.get('code') as string, {
      redirectUri: webClient.redirectUri,
    });
    expect(profile?.id).toBe(alice.practitionerId);
  });

  it('authorize answers 302 to the sign-in page with the request parameters, as Medplum sends the browser on', async () => {
    const params = {
      response_type: 'code',
      client_id: webClient.id,
      redirect_uri: webClient.redirectUri,
      scope: 'openid',
      state: 's-302',
      code_challenge: 'abc',
      code_challenge_method: 'plain',
    };
    const response = await fetch(authorizeUrl(params), { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') as string);
    expect(`${location.origin}${location.pathname}`).toBe(`${target.baseUrl}oauth2/sign-in`);
    expect(Object.fromEntries(location.searchParams)).toEqual(params);
  });

  it('a wrong password re-renders the page with the error, and no redirect', async () => {
    const params = {
      response_type: 'code',
      client_id: webClient.id,
      redirect_uri: webClient.redirectUri,
      scope: 'openid',
      code_challenge: 'abc',
      code_challenge_method: 'plain',
    };
    const response = await fetch(`${target.baseUrl}oauth2/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...params, email: alice.email, password: 'wrong-password' }).toString(),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Email or password is invalid');
  });

  it('an unknown client is a plain-text 400 "Client not found"', async () => {
    const response = await fetch(
      authorizeUrl({ response_type: 'code', client_id: 'nope', redirect_uri: webClient.redirectUri })
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('Client not found');
  });

  it('a redirect_uri that is not an exact match is a plain-text 400 "Invalid redirect URI", never a redirect', async () => {
    for (const redirect_uri of [`${webClient.redirectUri}/extra`, 'http://evil.example/callback', 'not a url']) {
      const response = await fetch(authorizeUrl({ response_type: 'code', client_id: webClient.id, redirect_uri }), {
        redirect: 'manual',
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toBe('Invalid redirect URI');
    }
    const missing = await fetch(authorizeUrl({ response_type: 'code', client_id: webClient.id }));
    expect(await missing.text()).toBe('Missing redirect URI');
  });

  // Medplum's authorize.ts redirects with `error` and `state` (the emulator adds an `error_description`, which a client
  // must not rely on), so only those two are asserted.
  it('other errors are redirected to the client with error and state', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ response_type: 'code' }, 'invalid_request'],
      [{ response_type: 'token', scope: 'openid' }, 'unsupported_response_type'],
      [{ response_type: 'code', scope: 'openid', request: 'x' }, 'request_not_supported'],
      [{ response_type: 'code', scope: 'openid', code_challenge: 'abc' }, 'invalid_request'],
      [{ response_type: 'code', scope: 'openid', aud: 'http://elsewhere.example/fhir' }, 'invalid_request'],
      [{ response_type: 'code', scope: 'openid', prompt: 'none' }, 'login_required'],
    ];
    for (const [params, error] of cases) {
      const response = await fetch(
        authorizeUrl({ client_id: webClient.id, redirect_uri: webClient.redirectUri, state: 's1', ...params }),
        { redirect: 'manual' }
      );
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location') as string);
      expect(`${location.origin}${location.pathname}`).toBe(webClient.redirectUri);
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('state')).toBe('s1');
    }
  });
});

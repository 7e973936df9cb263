import type { Bundle, Resource } from '@medplum/fhirtypes';
import { expect } from 'vitest';
import type { ContractTarget } from '../contract/target.ts';
import { form } from '../contract/target.ts';
import { buildSeed, webClient } from '../fixtures/seed.ts';

/** The fixture seed plus what a Medplum test creates in its database before it runs (logins, clients, policies…). */
export function seedWith(extra: Resource[], seed: Bundle = buildSeed()): Bundle {
  return { ...seed, entry: [...(seed.entry ?? []), ...extra.map((resource) => ({ resource }))] };
}

/** A token response: `access_token` always, the rest as the grant gives it. */
export type Tokens = Record<string, string> & { access_token: string };

export interface PasswordSignIn {
  email: string;
  password: string;
  scope?: string;
  /** Defaults to the fixture's public web client. */
  clientId?: string;
  userAgent?: string;
}

/**
 * What Medplum's tests do to get a user's tokens: `POST auth/login` with a plain PKCE challenge, then the code at the
 * token endpoint. Both steps must succeed.
 */
export async function passwordTokens(target: ContractTarget, user: PasswordSignIn): Promise<Tokens> {
  const login = await fetch(`${target.baseUrl}auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(user.userAgent ? { 'User-Agent': user.userAgent } : {}) },
    body: JSON.stringify({
      clientId: user.clientId ?? webClient.id,
      email: user.email,
      password: user.password,
      scope: user.scope ?? 'openid',
      codeChallenge: 'xyz',
      codeChallengeMethod: 'plain',
    }),
  });
  expect(login.status).toBe(200);
  const { code } = (await login.json()) as { code: string };
  const tokens = await fetch(
    `${target.baseUrl}oauth2/token`,
    form({ grant_type: 'authorization_code', code, code_verifier: 'xyz' })
  );
  expect(tokens.status).toBe(200);
  const json = (await tokens.json()) as Tokens;
  expect(json.access_token).toBeDefined();
  return json;
}

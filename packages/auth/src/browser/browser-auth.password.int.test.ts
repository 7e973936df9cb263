import { ClientStorage, MemoryStorage } from '@medplum/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SEED_IDS } from '../provisioning/ids.ts';
import { startSeededEmulator } from '../testing/emulator.ts';
import { createBrowserAuth, describeAuthError } from './browser-auth.ts';

// Integration: the browser module's email/password flow (auth/method, auth/login + PKCE, token) against the emulator.
let env: Awaited<ReturnType<typeof startSeededEmulator>>;
beforeAll(async () => {
  env = await startSeededEmulator();
});
afterAll(async () => {
  await env?.emulator.stop();
});
beforeEach(() => {
  // What the SDK needs of a browser to hash the PKCE verifier (S256), as it does in a real browser.
  vi.stubGlobal('window', {
    btoa: globalThis.btoa,
    atob: globalThis.atob,
    TextEncoder,
    TextDecoder,
    addEventListener: () => {},
  });
});

function browser() {
  return createBrowserAuth(
    {
      NEXT_PUBLIC_MEDPLUM_BASE_URL: env.emulator.url,
      NEXT_PUBLIC_MEDPLUM_CLIENT_ID: env.config.NEXT_PUBLIC_MEDPLUM_CLIENT_ID,
      NEXT_PUBLIC_IDP_AUTHORIZE_URL: 'http://localhost:8104/auth',
      NEXT_PUBLIC_IDP_CLIENT_ID: env.config.NEXT_PUBLIC_IDP_CLIENT_ID,
    },
    {
      storage: new ClientStorage(new MemoryStorage()),
      location: { origin: 'http://localhost:3000', search: '', assign: () => {} },
    }
  );
}

describe('email and password sign-in against the emulator', () => {
  it('signs the practitioner in with a refresh token, and sign-out revokes the login', async () => {
    const auth = browser();
    const result = await auth.signInWithPassword({
      email: env.config.DEV_PRACTITIONER_EMAIL,
      password: env.config.DEV_PRACTITIONER_PASSWORD,
    });
    expect(result).toMatchObject({
      status: 'signed-in',
      profile: { resourceType: 'Practitioner', id: SEED_IDS.practitioner },
    });
    expect(auth.medplum.getActiveLogin()?.refreshToken).toBeDefined();
    const token = auth.medplum.getAccessToken();
    expect(await auth.medplum.searchResources('Patient')).not.toHaveLength(0);

    await auth.signOut();
    expect(auth.medplum.getAccessToken()).toBeUndefined();
    const after = await fetch(new URL('fhir/R4/Patient', env.emulator.url), {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(after.status).toBe(401);
  });

  it('refuses a wrong password with a message for the page', async () => {
    const auth = browser();
    const error = await auth
      .signInWithPassword({ email: env.config.DEV_PRACTITIONER_EMAIL, password: 'not-the-password' })
      .catch((e) => e);
    expect(describeAuthError(error)).toMatch(/invalid/i);
    expect(auth.medplum.getAccessToken()).toBeUndefined();
  });

  it('refuses a code that was already used', async () => {
    const auth = browser();
    const login = await auth.medplum.startLogin({
      email: env.config.DEV_PRACTITIONER_EMAIL,
      password: env.config.DEV_PRACTITIONER_PASSWORD,
      clientId: env.config.NEXT_PUBLIC_MEDPLUM_CLIENT_ID,
      scope: 'openid',
    });
    expect(await auth.handleCallback(`?code=${login.code}`)).toMatchObject({ status: 'signed-in' });
    expect(await auth.handleCallback(`?code=${login.code}`)).toMatchObject({ status: 'error', error: 'invalid_grant' });
  });
});

import { describe, expect, it } from 'vitest';
import { SEED_IDS } from '../provisioning/ids.ts';
import { seededBrowserSuite } from '../testing/browser.ts';
import { describeAuthError } from './browser-auth.ts';

// Integration: the browser module's email/password flow (auth/method, auth/login + PKCE, token) against the emulator.
const suite = seededBrowserSuite({ NEXT_PUBLIC_IDP_AUTHORIZE_URL: 'http://localhost:8104/auth' });

describe('email and password sign-in against the emulator', () => {
  it('signs the practitioner in with a refresh token, and sign-out revokes the login', async () => {
    const auth = suite.browser();
    const result = await auth.signInWithPassword({
      email: suite.env.config.DEV_PRACTITIONER_EMAIL,
      password: suite.env.config.DEV_PRACTITIONER_PASSWORD,
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
    const after = await fetch(new URL('fhir/R4/Patient', suite.env.emulator.url), {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(after.status).toBe(401);
  });

  it('refuses a wrong password with a message for the page', async () => {
    const auth = suite.browser();
    const error = await auth
      .signInWithPassword({ email: suite.env.config.DEV_PRACTITIONER_EMAIL, password: 'not-the-password' })
      .catch((e) => e);
    expect(describeAuthError(error)).toMatch(/invalid/i);
    expect(auth.medplum.getAccessToken()).toBeUndefined();
  });

  it('refuses a code that was already used', async () => {
    const auth = suite.browser();
    const login = await auth.medplum.startLogin({
      email: suite.env.config.DEV_PRACTITIONER_EMAIL,
      password: suite.env.config.DEV_PRACTITIONER_PASSWORD,
      clientId: suite.env.config.NEXT_PUBLIC_MEDPLUM_CLIENT_ID,
      scope: 'openid',
    });
    // As the external flow returns it: the code with the login it belongs to.
    const callback = `?login=${login.login}&code=${login.code}`;
    expect(await auth.handleCallback(callback)).toMatchObject({ status: 'signed-in' });
    expect(await auth.handleCallback(callback)).toMatchObject({ status: 'error', error: 'invalid_grant' });
  });
});

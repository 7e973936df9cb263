import { describe, expect, it } from 'vitest';
import { seededBrowserSuite } from '../testing/browser.ts';

// Integration: the callback of an email/password login (Medplum's SignInForm gets the code) against the emulator.
const suite = seededBrowserSuite();

describe('a code from an email and password login', () => {
  it('refuses a code that was already used', async () => {
    const auth = suite.browser();
    const login = await auth.medplum.startLogin({
      email: suite.env.options.devUser.email,
      password: suite.env.options.devUser.password,
      clientId: suite.env.options.web.clientId,
      scope: 'openid',
    });
    // As the external flow returns it: the code with the login it belongs to.
    const callback = `?login=${login.login}&code=${login.code}`;
    expect(await auth.handleCallback(callback)).toMatchObject({ status: 'signed-in' });
    expect(await auth.handleCallback(callback)).toMatchObject({ status: 'error', error: 'invalid_grant' });
  });
});

import { expect, expectSignedIn, practitioner, signInWithPassword, storedLogin, test } from './support/fixtures.ts';

test.describe('sign-in', () => {
  test('email and password (SignInForm, PKCE)', async ({ page }) => {
    await signInWithPassword(page);
    await expectSignedIn(page);
    await expect(page.getByTestId('scopes')).toContainText('offline_access');
    await expect(page.getByTestId('project')).not.toHaveText('—');
    const login = await storedLogin(page);
    // Signed JWTs, as Medplum issues them (the refresh token too).
    expect(login?.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(login?.refreshToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  test('a wrong password is shown on the page', async ({ page }) => {
    await signInWithPassword(page, 'not-the-password');
    await expect(page.getByText('Email or password is invalid')).toBeVisible();
    await expect(page).toHaveURL(/\/signin/);
    expect(await storedLogin(page)).toBeNull();
  });

  test('"Continue with Medplum" (redirect to Medplum\'s sign-in page and back with a code)', async ({ page }) => {
    await page.goto('/signin');
    await page.getByRole('button', { name: 'Continue with Medplum' }).click();
    // Medplum's authorize endpoint sends the browser on to a sign-in page (the emulator's own, at /oauth2/sign-in).
    await expect(page).toHaveURL(/^http:\/\/localhost:8103\/oauth2\/sign-in\?/);
    await page.getByLabel('Email').fill(practitioner.email);
    await page.getByLabel('Password', { exact: true }).fill(practitioner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectSignedIn(page);
  });

  test('"Continue with Acme SSO" (external identity provider → Medplum /auth/external → back)', async ({ page }) => {
    await page.goto('/signin');
    await page.getByRole('button', { name: 'Continue with Acme SSO' }).click();
    await expect(page).toHaveURL(/localhost:8104\//);
    await page.getByLabel('Email').fill(practitioner.email);
    await page.getByLabel('Password', { exact: true }).fill(practitioner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Acme SSO treats every client as first-party: no consent screen, straight back through Medplum to the app.
    await expectSignedIn(page);
  });

  test('a callback error is shown on the page', async ({ page }) => {
    await page.goto('/auth/callback?error=access_denied&error_description=The+user+cancelled+the+sign-in');
    const alert = page.getByTestId('callback-error');
    await expect(alert).toContainText('Sign-in failed');
    await expect(alert).toContainText('access_denied');
    await expect(alert).toContainText('The user cancelled the sign-in');
  });

  test('an invalid or reused code is shown on the page', async ({ page }) => {
    // As /auth/external returns: the code with its login, so the app tries the exchange and Medplum refuses it.
    await page.goto('/auth/callback?login=00000000-0000-4000-8000-000000000000&code=not-a-real-code');
    const alert = page.getByTestId('callback-error');
    // The app's own label for a failed exchange, then Medplum's refusal word for word: packages/server/src/oauth/token.ts
    // answers an unknown code with `invalid_request` / "Invalid code".
    await expect(alert.getByText('Medplum refused the authorization code.')).toBeVisible();
    await expect(alert.locator('p', { has: page.locator('code') })).toHaveText('invalid_grant Invalid code');
  });

  test('a bare code (no state, no login) is refused before any code exchange', async ({ page }) => {
    const exchanges: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/oauth2/token')) exchanges.push(request.url());
    });
    await page.goto('/auth/callback?code=planted-code');
    await expect(page.getByTestId('callback-error')).toContainText('state_missing');
    expect(exchanges).toEqual([]);
  });

  test('a forged state is refused before any code exchange', async ({ page }) => {
    await page.goto('/auth/callback?code=whatever&state=forged');
    await expect(page.getByTestId('callback-error')).toContainText('state_mismatch');
  });

  test('the signed-in area sends strangers to sign in', async ({ page }) => {
    await page.goto('/dashboard');
    await expect(page).toHaveURL(/\/signin\?reason=sign-in-required/);
  });

  test('sign-out revokes the login and forgets the tokens', async ({ page }) => {
    await signInWithPassword(page);
    await expectSignedIn(page);
    const before = await storedLogin(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/signin\?reason=signed-out/);
    await expect(page.getByTestId('sign-in-reason')).toContainText('signed out');
    expect(await storedLogin(page)).toBeNull();
    await page.goto('/dashboard');
    await expect(page).toHaveURL(/\/signin/);
    // The revoked access token no longer works at Medplum either.
    const response = await page.request.get('http://localhost:8103/auth/me', {
      headers: { Authorization: `Bearer ${before?.accessToken}` },
    });
    expect(response.status()).toBe(401);
  });

  test('a login revoked elsewhere ends the session here with a message', async ({ page }) => {
    await signInWithPassword(page);
    await expectSignedIn(page);
    const login = await storedLogin(page);
    // Revoke the login at Medplum behind the app's back (as signing out in another app would).
    const revoked = await page.request.post('http://localhost:8103/oauth2/logout', {
      headers: { Authorization: `Bearer ${login?.accessToken}`, 'Content-Type': 'application/json' },
      data: {},
    });
    expect(revoked.ok()).toBe(true);
    await page.getByRole('link', { name: 'Maria Garcia' }).click();
    await expect(page).toHaveURL(/\/signin\?reason=session-ended$/);
    await expect(page.getByTestId('sign-in-reason')).toHaveText('Your session ended. Please sign in again.');
    expect(await storedLogin(page)).toBeNull();
  });
});

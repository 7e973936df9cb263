import { expect, expectSignedIn, signInWithPassword, storedLogin, test } from './support/fixtures.ts';

// The emulator gives the web client one-minute access tokens (seeded with --access-token-lifetime web=1m, playwright.config.ts).
test('still signed in after the access token expired (refresh token, rotated)', async ({ page }) => {
  test.setTimeout(180_000);
  await signInWithPassword(page);
  await expectSignedIn(page);
  const first = await storedLogin(page);
  const exp = JSON.parse(Buffer.from(String(first?.accessToken).split('.')[1] ?? '', 'base64url').toString()).exp;
  expect(exp * 1000 - Date.now()).toBeLessThanOrEqual(60_000);

  // Leave the tab idle (no requests, so no early refresh) until the access token is dead at the server.
  await page.goto('about:blank');
  await page.waitForTimeout(Math.max(0, exp * 1000 - Date.now()) + 5_000);
  const expired = await page.request.get('http://localhost:8103/auth/me', {
    headers: { Authorization: `Bearer ${first?.accessToken}` },
  });
  expect(expired.status()).toBe(401);

  await page.goto('/dashboard');
  await expectSignedIn(page);
  await expect(page.getByTestId('patient-list')).toContainText('Maria Garcia');
  const second = await storedLogin(page);
  expect(second?.accessToken).not.toBe(first?.accessToken);
  expect(second?.refreshToken).not.toBe(first?.refreshToken);
  await expect(page.getByTestId('token-expiry')).toContainText('in ');
});

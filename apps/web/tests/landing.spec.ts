import { expect, test } from './support/fixtures.ts';

test('the landing page explains the three patterns and links to every running part', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Medplum integration patterns' })).toBeVisible();
  for (const pattern of ['1. Client side', '2. Server side', '3. Device']) {
    await expect(page.getByRole('heading', { name: new RegExp(pattern) })).toBeVisible();
  }
  for (const url of [
    'http://localhost:3000/',
    'http://localhost:3001/',
    'http://localhost:3002/',
    'http://localhost:8103/',
    'http://localhost:8104/.well-known/openid-configuration',
  ]) {
    await expect(page.locator(`a[href="${url}"]`).first()).toBeVisible();
  }
  // The live story needs a signed-in user; before that, the card says how to get there.
  await expect(page.getByTestId('live-story')).toContainText('order a lab test');
  await page.getByRole('link', { name: /Sign in to the web app/ }).click();
  await expect(page).toHaveURL(/\/signin$/);
});

test('every page carries the security headers', async ({ request }) => {
  for (const path of ['/', '/signin', '/auth/callback', '/dashboard', '/patients/some-id']) {
    const response = await request.get(path);
    const headers = response.headers();
    const csp = headers['content-security-policy'] ?? '';
    expect(csp, path).toContain("frame-ancestors 'none'");
    expect(csp, path).toContain("object-src 'none'");
    expect(csp, path).toMatch(/connect-src 'self' http:\/\/localhost:8103(;| )/);
    expect(csp, path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}' 'strict-dynamic';/);
    expect(csp, path).not.toContain('unsafe-eval');
    expect(headers['x-frame-options'], path).toBe('DENY');
    expect(headers['referrer-policy'], path).toBe('no-referrer');
    expect(headers['x-content-type-options'], path).toBe('nosniff');
    expect(headers['x-powered-by'], path).toBeUndefined();
  }
});

test('prefetch requests carry the policy too (no response of a page goes without it)', async ({ request }) => {
  const prefetches: Record<string, string>[] = [{ RSC: '1', 'Next-Router-Prefetch': '1' }, { Purpose: 'prefetch' }];
  for (const headers of prefetches) {
    const response = await request.get('/signin', { headers });
    expect(response.headers()['content-security-policy'], JSON.stringify(headers)).toMatch(
      /script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}' 'strict-dynamic';/
    );
  }
});

test('each page load gets its own script nonce, and the page runs under it', async ({ page, request }) => {
  const nonceOf = (csp: string | undefined) => /'nonce-([^']+)'/.exec(csp ?? '')?.[1];
  const [a, b] = await Promise.all([request.get('/signin'), request.get('/signin')]);
  expect(nonceOf(a.headers()['content-security-policy'])).not.toBe(nonceOf(b.headers()['content-security-policy']));
  // Hydrated under the policy: the client-side form works (a CSP violation would also fail this test).
  await page.goto('/signin');
  await page.getByLabel('Email').fill('someone@example.com');
  await expect(page.getByRole('button', { name: 'Continue', exact: true })).toBeEnabled();
});

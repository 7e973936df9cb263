import { devUserSchema, loadConfig } from '@org/config';
import { test as base, expect, type Page } from '@playwright/test';

/** The seeded practitioner (the same person at Medplum and at Acme SSO). */
export const practitioner = (() => {
  const config = loadConfig(devUserSchema);
  return { email: config.DEV_PRACTITIONER_EMAIL, password: config.DEV_PRACTITIONER_PASSWORD, name: 'Dana Whitfield' };
})();

/** localStorage prefix of the SDK's keys in apps/web (src/env.ts). */
export const STORAGE_PREFIX = '@org/web:';

/**
 * Every test fails if the page logged a Content-Security-Policy violation, a hydration mismatch or an uncaught error:
 * a CSP that breaks Mantine or @medplum/react, or a sign-in error that only reaches the console, must not pass
 * unnoticed.
 */
export const test = base.extend<{ pageProblems: string[] }>({
  pageProblems: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('console', (message) => {
        const text = message.text();
        if (/Content Security Policy|Refused to (execute|load|apply|connect)/i.test(text)) problems.push(text);
        // Server HTML that differs from the first client render (e.g. reading localStorage while rendering).
        if (message.type() === 'error' && /hydrat/i.test(text)) problems.push(text);
      });
      page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
      await use(problems);
      expect(problems, 'CSP violations or uncaught errors on the page').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Email and password through @medplum/react's SignInForm (auth/method → auth/login with PKCE → oauth2/token). */
export async function signInWithPassword(page: Page, password = practitioner.password): Promise<void> {
  await page.goto('/signin');
  await page.getByLabel('Email').fill(practitioner.email);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.getByRole('textbox', { name: 'Password' }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function expectSignedIn(page: Page): Promise<void> {
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('profile-name')).toContainText(practitioner.name);
}

/** The SDK's stored login (tokens included) — what an XSS could read; the tests only look at its shape. */
export async function storedLogin(page: Page): Promise<{ accessToken?: string; refreshToken?: string } | null> {
  return page.evaluate((key) => {
    const raw = window.localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as { accessToken?: string; refreshToken?: string }) : null;
  }, `${STORAGE_PREFIX}activeLogin`);
}

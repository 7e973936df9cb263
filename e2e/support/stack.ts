import { composeSchemas, deviceSchema, devUserSchema, loadConfig, medplumSchema, proxySchema } from '@org/config';
import { expect, type Page } from '@playwright/test';

/** The same configuration the started processes load (defaults, .env, .env.local, environment). */
export const config = loadConfig(composeSchemas(medplumSchema, proxySchema, deviceSchema, devUserSchema));
export const medplumBaseUrl = config.MEDPLUM_BASE_URL;

/** Email and password through @medplum/react's SignInForm in the web app (PKCE under the hood). */
export async function signInToWebApp(page: Page): Promise<void> {
  await page.goto('http://localhost:3000/signin');
  await page.getByLabel('Email').fill(config.DEV_PRACTITIONER_EMAIL);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.getByRole('textbox', { name: 'Password' }).fill(config.DEV_PRACTITIONER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
}

/** The legacy app's own sign-in (its users are not Medplum users). */
export async function signInToLegacyApp(page: Page, username: string): Promise<void> {
  await page.goto(`${config.PROXY_PUBLIC_URL}login`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(config.LEGACY_DEV_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/patients$/);
}

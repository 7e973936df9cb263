/**
 * The story that ties the three patterns together, across real processes and a real browser:
 * a clinician orders a lab test in the web app (pattern 1) → the emulator delivers the order to the device by a signed
 * webhook → the device (pattern 3) posts the results with its own credentials → the web app shows them → a user of the
 * legacy app (pattern 2) sees the same results through the proxy, and what they write is attributed to the proxy's
 * ClientApplication on their behalf.
 */
import { SEED_IDS } from '@org/auth/provisioning';
import { expect, test } from '@playwright/test';
import { config, signInToLegacyApp, signInToWebApp } from '../support/stack.ts';

test('a lab order travels from the web app to the device and back, and the legacy app shows it', async ({
  browser,
}) => {
  const clinician = await browser.newPage();
  await signInToWebApp(clinician);
  await clinician.getByTestId('patient-list').getByRole('link', { name: 'Maria Garcia' }).click();
  await expect(clinician.getByTestId('patient-name')).toContainText('Maria Garcia');

  const orders = clinician.getByTestId('lab-order');
  const ordersBefore = await orders.count();
  await clinician.getByRole('button', { name: 'Order lab test' }).click();
  // Newest first. Its status may already be past "awaiting results": the device can be that quick.
  await expect(orders).toHaveCount(ordersBefore + 1);
  const orderId = await orders.first().getAttribute('data-order-id');
  expect(orderId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

  // No test code posts anything: the real device receives the webhook and uploads the results itself.
  const card = clinician.locator(`[data-order-id="${orderId}"]`);
  await expect(card.getByTestId('report-status')).toHaveText('report final', { timeout: 60_000 });
  // The analyzer's CBC values with their UCUM units, e.g. "13.9 g/dL".
  await expect(card.getByTestId('results')).toContainText(/\d+(\.\d+)? g\/dL/);

  // The device's status page saw the order and sent its results.
  const device = await browser.newPage();
  await device.goto('http://localhost:3002/');
  await expect(device.locator('body')).toContainText(orderId as string);

  // The legacy app's user sees the same report, recorded by the device's ClientApplication.
  const legacy = await browser.newPage();
  await signInToLegacyApp(legacy, config.LEGACY_DEV_USERNAME);
  await legacy.getByRole('link', { name: 'Maria Garcia' }).click();
  const labResults = legacy.locator('#lab-results');
  await expect(
    labResults.locator(`[data-author="ClientApplication/${config.DEVICE_MEDPLUM_CLIENT_ID}"]`).first()
  ).toBeVisible();

  // What the legacy user writes is recorded as the proxy's ClientApplication, on behalf of that user.
  const text = `Results reviewed with the patient (${orderId})`;
  await legacy.getByLabel('Add a note').fill(text);
  await legacy.getByRole('button', { name: 'Save note' }).click();
  const note = legacy.locator('#notes li', { hasText: text });
  await expect(note.locator('.attribution')).toHaveAttribute(
    'data-author',
    `ClientApplication/${config.PROXY_MEDPLUM_CLIENT_ID}`
  );
  await expect(note.locator('.attribution')).toHaveAttribute(
    'data-on-behalf-of',
    `Practitioner/${SEED_IDS.practitioner}`
  );
});

test('a legacy user sees only what their own policy allows, although the proxy is a project admin', async ({
  page,
}) => {
  await signInToLegacyApp(page, 'reception');
  await page.getByRole('link', { name: 'Maria Garcia' }).click();
  await expect(page.locator('#lab-results .denied[data-status="403"]').first()).toBeVisible();
  await expect(page.locator('#lab-results table')).toHaveCount(0);
});

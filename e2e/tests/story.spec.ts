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

/** An ISO 8601 date-time as Medplum stores it; pages show local, formatted times instead. */
const ISO_DATE_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

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
  // …shown by name and local time, never as a bare reference or an ISO timestamp.
  await expect(note.locator('.attribution')).toContainText(
    /Recorded by Legacy clinic proxy.*, on behalf of Dr\. Dana Whitfield/
  );
  const legacyText = (await legacy.locator('main').textContent()) ?? '';
  expect(legacyText).not.toMatch(ISO_DATE_TIME);
  expect(legacyText).not.toMatch(/(ClientApplication|Practitioner)\/[\w-]+/);
  // The note's history, read through the proxy on the user's behalf.
  await note.getByRole('link', { name: 'history' }).click();
  await expect(legacy.getByTestId('history')).toContainText('Dr. Dana Whitfield');
  await expect(legacy.getByTestId('history')).toContainText('server side: a client on behalf of a user');

  // The web app's activity view shows all three identities and the delivery Medplum recorded, here a success.
  await clinician.getByTestId('activity-link').click();
  const story = clinician.getByTestId('story');
  await expect(story.getByTestId('story-delivery')).toContainText('success');
  await expect(story.getByTestId('story-result')).toContainText('Lab analyzer');
  await expect(story.getByTestId('story-note')).toContainText(text);
  await expect(story.getByTestId('story-note')).toContainText('on behalf of Dr. Dana Whitfield');
  for (const pattern of ['client-side', 'device', 'server-side']) {
    await expect(clinician.getByTestId('activity').locator(`[data-pattern="${pattern}"]`).first()).toBeVisible();
  }
});

test('a legacy user sees only what their own policy allows, although the proxy is a project admin', async ({
  page,
}) => {
  await signInToLegacyApp(page, 'reception');
  await page.getByRole('link', { name: 'Maria Garcia' }).click();
  await expect(page.locator('#lab-results .denied[data-status="403"]').first()).toBeVisible();
  await expect(page.locator('#lab-results table')).toHaveCount(0);
});

import { SEED_IDS } from '@org/auth/provisioning';
import { postResultsAsDevice } from './support/device.ts';
import { expect, expectSignedIn, signInWithPassword, test } from './support/fixtures.ts';

test('order a lab test for a patient, see it listed, and see its results arrive without a reload', async ({ page }) => {
  await signInWithPassword(page);
  await expectSignedIn(page);

  await page.getByTestId('patient-list').getByRole('link', { name: 'Maria Garcia' }).click();
  await expect(page.getByTestId('patient-name')).toContainText('Maria Garcia');

  await page.getByRole('button', { name: 'Order lab test' }).click();
  const order = page.getByTestId('lab-order').first();
  await expect(order).toContainText('CBC panel');
  await expect(order).toContainText('Acme lab analyzer 1');
  await expect(order.getByTestId('report-status')).toHaveText('awaiting results');
  const orderId = await order.getAttribute('data-order-id');
  expect(orderId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

  // The analyzer posts its results with its own credentials; the page shows them on its next poll.
  await postResultsAsDevice(orderId as string, SEED_IDS.patientMaria);
  const card = page.locator(`[data-order-id="${orderId}"]`);
  await expect(card.getByTestId('report-status')).toHaveText('report final', { timeout: 20_000 });
  await expect(card.getByTestId('results')).toContainText('13.9 g/dL');
  await expect(card).toContainText('Within normal limits (simulated)');
});

test('create a new patient', async ({ page }) => {
  await signInWithPassword(page);
  await expectSignedIn(page);
  await page.getByRole('link', { name: 'New patient' }).first().click();
  const family = `Tester${Date.now()}`;
  await page.getByRole('textbox', { name: 'Given name' }).fill('Ada');
  await page.getByRole('textbox', { name: 'Family name' }).fill(family);
  await page.getByRole('button', { name: 'Create patient' }).click();
  await expect(page.getByTestId('patient-name')).toContainText(`Ada ${family}`);
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await expect(page.getByTestId('patient-list')).toContainText(`Ada ${family}`);
});

test('the order button waits for the published catalogue: disabled while it loads, then it orders', async ({
  page,
}) => {
  await signInWithPassword(page);
  await expectSignedIn(page);
  // Hold the catalogue read (the ValueSet search) until the button has been seen disabled.
  const catalogueSearch = /\/fhir\/R4\/ValueSet\?/;
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route(catalogueSearch, async (route) => {
    await held;
    await route.continue();
  });
  const button = page.getByRole('button', { name: 'Order lab test' });
  try {
    const caught = page.waitForRequest(catalogueSearch);
    await page.getByTestId('patient-list').getByRole('link', { name: 'Maria Garcia' }).click();
    await caught; // the read is held now, so what follows is the page before its catalogue arrived
    await expect(button).toBeVisible();
    await expect(button).toBeDisabled();
  } finally {
    release();
  }
  await expect(button).toBeEnabled();
  await button.click();
  await expect(page.getByText(/^Ordered .+ \(ServiceRequest\/[0-9a-f-]{36}\)$/)).toBeVisible();
});

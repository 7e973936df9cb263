import { postResultsAsDevice } from './support/device.ts';
import { expect, expectSignedIn, practitioner, signInWithPassword, test } from './support/fixtures.ts';
import { addNoteAsProxy } from './support/proxy.ts';

/** ISO 8601 date-times as Medplum stores them: the page must show local, formatted times instead. */
const ISO_DATE_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

test('after the story, the activity view shows the three identities, their patterns and the webhook deliveries', async ({
  page,
}) => {
  await signInWithPassword(page);
  await expectSignedIn(page);
  // A patient of its own: other specs order for the seeded patients in parallel, and the story is the newest order's.
  await page.getByRole('link', { name: 'New patient' }).first().click();
  await page.getByRole('textbox', { name: 'Given name' }).fill('Ada');
  await page.getByRole('textbox', { name: 'Family name' }).fill(`Activity${Date.now()}`);
  await page.getByRole('button', { name: 'Create patient' }).click();
  await expect(page).toHaveURL(/\/patients\/[0-9a-f-]{36}$/);
  const patientId = new URL(page.url()).pathname.split('/').pop() as string;

  await page.getByRole('button', { name: 'Order lab test' }).click();
  const orderId = (await page.getByTestId('lab-order').first().getAttribute('data-order-id')) as string;
  await postResultsAsDevice(orderId, patientId);
  const note = `Discussed the CBC with the patient (${Date.now()})`;
  await addNoteAsProxy(patientId, note);

  // The order's lifecycle: once the device's report is final, the order shows as completed.
  const card = page.locator(`[data-order-id="${orderId}"]`);
  await expect(card.getByTestId('order-status')).toHaveText('order completed', { timeout: 20_000 });

  await page.getByTestId('activity-link').click();
  await expect(page).toHaveURL(new RegExp(`/patients/${patientId}/activity$`));

  // The story of the newest order, step by step, with who did each.
  const story = page.getByTestId('story');
  await expect(story.getByTestId('story-order')).toContainText(practitioner.name);
  await expect(story.getByTestId('story-order').getByTestId('pattern')).toHaveAttribute('data-pattern', 'client-side');
  await expect(story.getByTestId('story-result')).toContainText('Lab analyzer (confidential device client)');
  await expect(story.getByTestId('story-result').getByTestId('pattern')).toHaveAttribute('data-pattern', 'device');
  await expect(story.getByTestId('story-note')).toContainText(note);
  // The proxy's ClientApplication by its name, and the clinician it acted for.
  await expect(story.getByTestId('story-note')).toContainText(
    new RegExp(`Legacy clinic proxy.* on behalf of (Dr\\. )?${practitioner.name}`)
  );
  await expect(story.getByTestId('story-note').getByTestId('pattern')).toHaveAttribute('data-pattern', 'server-side');

  // Every version, each with its pattern, and the Subscription's delivery AuditEvents (no device listens in these
  // tests, so each attempt is recorded as a failure; the cross-app e2e sees them succeed).
  const activity = page.getByTestId('activity');
  for (const pattern of ['client-side', 'device', 'server-side']) {
    await expect(activity.locator(`[data-pattern="${pattern}"]`).first()).toBeVisible();
  }
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(activity.getByTestId('activity-delivery').first()).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await expect(story.getByTestId('story-delivery')).toContainText('Attempt 1');
  // Names, never bare references or raw ISO times.
  await expect(activity).not.toContainText(/ClientApplication\/|Practitioner\//);
  await expect(page.locator('main')).not.toContainText(ISO_DATE_TIME);

  // The order's history (@medplum/react's ResourceHistoryTable): its author is the practitioner.
  await activity.getByRole('link', { name: 'History of ServiceRequest' }).first().click();
  const history = page.getByTestId('resource-history');
  await expect(history).toContainText(practitioner.name);
  // …and each version opens on its own page.
  await history.getByRole('link').last().click();
  await expect(page.getByTestId('resource-version')).toContainText(practitioner.name);
  await expect(page.getByTestId('resource-version')).toContainText('CBC panel');

  // The landing page pictures the newest order's story from the same data (other specs order in parallel: any order
  // here is placed by the practitioner through the web app).
  await page.goto('/');
  const live = page.getByTestId('live-story');
  await expect(live.getByTestId('story-order')).toContainText(practitioner.name);
  await expect(live.getByTestId('story-order').getByTestId('pattern')).toHaveAttribute('data-pattern', 'client-side');
});

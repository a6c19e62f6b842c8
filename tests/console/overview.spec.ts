/* The overview draws live charts from the one-second subscription, with no reload, and shows health and drops. */
import { collectConsoleErrors, logTiming, saveScreenshot } from './support/console-page.ts';
import { resetServices } from './support/lab.ts';
import { endpointOf, serviceName, storageStateOf } from './support/lab-settings.ts';
import { sluice } from './support/sluice-cli.ts';
import { expect, test } from '@playwright/test';
import { httpRequests } from './support/traffic.ts';

test.use({ storageState: storageStateOf('admin') });
test.afterAll(async () => {
  await resetServices();
});

test('live charts update every second without a reload', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  const started = Date.now();
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  logTiming('overview page load (navigation to heading)', Date.now() - started);
  const samples = page.getByTestId('live-samples');
  await expect(samples).not.toHaveAttribute('data-samples', '0');
  logTiming('overview first live sample', Date.now() - started);
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-live', 'on');

  /* Traffic while watching: the new-connections chart must move off zero, in place. */
  const navigations: string[] = [];
  page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
  const first = Number(await samples.getAttribute('data-samples'));
  await httpRequests('algo', 300, { concurrency: 10 });
  await expect.poll(async () => Number(await samples.getAttribute('data-samples')), { timeout: 10_000 }).toBeGreaterThan(first + 2);
  await expect(page.getByTestId('current-new-connections-per-second')).not.toHaveText('0/s', { timeout: 10_000 });
  expect(navigations, 'the page must not reload').toEqual([]);

  await expect(page.getByRole('heading', { name: /Health/ })).toBeVisible();
  await expect(page.getByTestId('drop-counters')).toContainText('no_backend');
  await page.setViewportSize({ width: 1280, height: 800 });
  await saveScreenshot(page, 'overview-laptop');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await saveScreenshot(page, 'overview');
  expect(errors).toEqual([]);
});

/*
 * While the feed is up the overview polls its lists only every 30 s
 * (client/refresh-on-changes.ts): a change shown within a few seconds came
 * through the feed's change count.
 */
test('a change reaches the overview’s lists within seconds through the live feed, not a poll', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  const service = serviceName('algo');
  const endpoint = endpointOf('algo', 2);
  await page.goto('/');
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-live', 'on');
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: service }) });
  await expect(row).toContainText('3 of 3');

  const started = Date.now();
  await sluice(['backend', 'drain', service, endpoint]);
  await expect(row).toContainText('2 of 3', { timeout: 5000 });
  await expect(page.getByTestId('chart-events').locator('li[data-action="backend.setState"]').first()).toContainText(endpoint, { timeout: 5000 });
  logTiming('overview lists after a drain', Date.now() - started);
  expect(errors).toEqual([]);
});

/*
 * Setting a service's client rate limit in the UI reaches the data plane: a
 * burst of new connections from one client address then gets exactly that
 * many through (the rest are dropped and counted); 0 lifts the limit.
 */
import { collectConsoleErrors, saveScreenshot } from './support/console-page.ts';
import { CLIENT_SOURCES, servicePagePath, storageStateOf } from './support/lab-settings.ts';
import { resetServices } from './support/lab.ts';
import { expect, test } from '@playwright/test';
import { httpRequests } from './support/traffic.ts';

test.use({ storageState: storageStateOf('admin') });

const LIMIT = 3;
const BURST = 8;
/*
 * All at once, so they fall in one one-second window; a dropped connection is
 * given up before the kernel would send its SYN again (1 s), in a later window.
 */
const burst = (source: string) => httpRequests('algo', BURST, { concurrency: BURST, source, requestTimeoutMs: 700 });

test('a client rate limit set in the UI lets a burst from one client through only up to it; 0 lifts it', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  await resetServices();
  const source = CLIENT_SOURCES.clientRate;

  await page.goto(servicePagePath('algo'));
  await expect(page.getByTestId('current-client-rate')).toHaveText('none');
  await page.getByLabel('Client rate limit').fill(String(LIMIT));
  await page.getByRole('button', { name: 'Set limit' }).click();
  await expect(page.getByTestId('notice')).toContainText(`at most ${LIMIT} new connections per client per second`);
  await expect(page.getByTestId('current-client-rate')).toHaveText(`${LIMIT} new connections per client per second`);

  const limited = await burst(source);
  expect(limited.succeeded, `limited burst: ${JSON.stringify(limited.failures)}`).toBe(LIMIT);
  await page.goto('/');
  /* The overview's drops by reason: the client_rate row counts them (a count above zero is marked). */
  const row = page.getByTestId('drop-counters').getByRole('row', { name: /client_rate/ });
  await expect(row).toContainText("new connection from a client over its service's client rate limit");
  await expect(row.locator('.text-warn')).toHaveCount(1);
  await saveScreenshot(page, 'client-rate-drops');

  await page.goto(servicePagePath('algo'));
  await page.getByLabel('Client rate limit').fill('0');
  await page.getByRole('button', { name: 'Set limit' }).click();
  await expect(page.getByTestId('notice')).toContainText('no longer limits new connections per client');
  await expect(page.getByTestId('current-client-rate')).toHaveText('none');
  const free = await burst(source);
  expect(free.succeeded, `unlimited burst: ${JSON.stringify(free.failures)}`).toBe(BURST);
  expect(errors).toEqual([]);
});

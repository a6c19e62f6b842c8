/* Switching the algorithm in the UI changes which backend new connections go to. */
import { collectConsoleErrors, saveScreenshot } from './support/console-page.ts';
import { CLIENT_SOURCES, servicePagePath, storageStateOf } from './support/lab-settings.ts';
import { resetServices } from './support/lab.ts';
import { expect, test } from '@playwright/test';
import { httpRequests } from './support/traffic.ts';

test.use({ storageState: storageStateOf('admin') });

test('round-robin to source-hash: one client address then lands on one backend', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  await resetServices();
  const source = CLIENT_SOURCES.algorithm;
  const spread = await httpRequests('algo', 30, { source });
  expect(Object.keys(spread.byBackend).length, `round-robin spreads (${JSON.stringify(spread.byBackend)})`).toBe(3);

  await page.goto(servicePagePath('algo'));
  await expect(page.getByTestId('current-algorithm')).toHaveText('round-robin');
  /* The select's name includes its current value (it sits inside its label), hence the prefix match. */
  await page.getByRole('combobox', { name: /^Algorithm/ }).selectOption('source-hash');
  await page.getByRole('button', { name: 'Switch algorithm' }).click();
  await expect(page.getByTestId('notice')).toContainText('now uses source-hash');
  await expect(page.getByTestId('current-algorithm')).toHaveText('source-hash');

  const hashed = await httpRequests('algo', 30, { source });
  expect(hashed.succeeded).toBe(30);
  expect(Object.keys(hashed.byBackend), `source-hash sends one client to one backend (${JSON.stringify(hashed.byBackend)})`).toHaveLength(1);
  /* The per-backend chart shows the switch within its 10 s window. */
  await expect(page.getByRole('img', { name: /New connections per backend/ })).toBeVisible();
  await saveScreenshot(page, 'algorithm-switch');
  expect(errors).toEqual([]);
});

/*
 * Forwarding modes in the console: the create form's mode select with one
 * line of help per mode, the mode on the list and the service page, the
 * estimate mark on active counts in a bypass mode, and the mode switch.
 */
import { collectConsoleErrors, saveScreenshot } from './support/console-page.ts';
import { storageStateOf } from './support/lab-settings.ts';
import { resetServices } from './support/lab.ts';
import { expect, test } from '@playwright/test';

test.use({ storageState: storageStateOf('admin') });

const NAME = '198.18.100.8:80/tcp';

test('create a dsr service with the mode select and its help, see DSR and estimated counts, switch it to NAT', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  await resetServices();
  await page.goto('/services');
  await page.getByRole('button', { name: 'Create service' }).click();
  await page.getByLabel('VIP address').fill('198.18.100.8');
  await page.getByLabel('Port').fill('80');
  const mode = page.getByRole('combobox', { name: /^Forwarding mode/ });
  const help = page.getByTestId('mode-help');
  await expect(help).toContainText('NAT: The balancer rewrites the destination');
  for (const [value, line] of [
    ['ipip', 'IPIP: IP-in-IP to the backend’s address'],
    ['gue', 'GUE: UDP (GUE) to the backend'],
    ['dsr', 'DSR: Only the MAC changes'],
  ] as const) {
    await mode.selectOption(value);
    await expect(help).toContainText(line);
  }
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByTestId('notice')).toContainText(`Created ${NAME}`);
  const row = page.getByTestId('services-table').getByRole('row', { name: new RegExp(NAME.replace(/[./]/g, '\\$&')) });
  await expect(row).toContainText('DSR');
  await expect(row).toContainText('~0 est.');

  await page.getByRole('link', { name: NAME }).click();
  await expect(page.getByTestId('current-mode')).toHaveText('DSR');
  await expect(page.getByTestId('current-mode-title')).toHaveText('DSR');
  await expect(page.getByText('~0 est.').first()).toBeVisible();
  await expect(page.getByText(/Estimate: in dsr, ipip and gue the replies bypass the balancer/)).toBeVisible();
  await saveScreenshot(page, 'service-mode-dsr');

  await page.getByRole('combobox', { name: /^Forwarding mode/ }).selectOption('nat');
  await page.getByRole('button', { name: 'Switch mode' }).click();
  await expect(page.getByTestId('notice')).toContainText(`${NAME} now forwards new connections in NAT`);
  await expect(page.getByTestId('current-mode-title')).toHaveText('NAT');
  await expect(page.getByText('~0 est.')).toHaveCount(0);
  await resetServices();
  expect(errors).toEqual([]);
});

/* Every screen renders cleanly for an admin; each is saved as a screenshot and its load time printed. */
import { collectConsoleErrors, logTiming, saveScreenshot } from './support/console-page.ts';
import { storageStateOf } from './support/lab-settings.ts';
import { expect, test } from '@playwright/test';

test.use({ storageState: storageStateOf('admin') });

const SCREENS = [
  { path: '/services', name: 'services', ready: 'services-table' },
  { path: '/audit', name: 'audit', ready: 'audit-table' },
  { path: '/users', name: 'users', ready: 'users-table' },
  { path: '/connections', name: 'connections-page', ready: 'page-info' },
];

for (const screen of SCREENS) {
  test(`${screen.name} screen`, async ({ page }) => {
    const errors = collectConsoleErrors(page);
    const started = Date.now();
    await page.goto(screen.path);
    await expect(page.getByTestId(screen.ready)).toBeVisible();
    logTiming(`${screen.name} page load (navigation to data shown)`, Date.now() - started);
    await saveScreenshot(page, screen.name);
    expect(errors).toEqual([]);
  });
}

test('the services screen creates and deletes a service (admin)', async ({ page }) => {
  await page.goto('/services');
  await page.getByRole('button', { name: 'Create service' }).click();
  await page.getByLabel('VIP address').fill('198.18.100.7');
  await page.getByLabel('Port').fill('8443');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByTestId('notice')).toContainText('Created 198.18.100.7:8443/tcp');
  await saveScreenshot(page, 'services-created');
  await page.getByRole('button', { name: 'Delete 198.18.100.7:8443/tcp' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete service' }).click();
  await expect(page.getByTestId('notice')).toContainText('Deleted 198.18.100.7:8443/tcp');
});

test('users screen adds a user and changes a role', async ({ page }) => {
  await page.goto('/users');
  await page.getByLabel('User name').fill('con-extra');
  await page.getByLabel(/^Password/).fill('extra-password-1');
  await page.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByTestId('notice')).toContainText('Added con-extra as viewer');
  await page.getByLabel('Role of con-extra').selectOption('operator');
  await expect(page.getByTestId('notice')).toContainText('con-extra is now operator');
  await page.getByRole('button', { name: 'Remove con-extra' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove user' }).click();
  await expect(page.getByTestId('notice')).toContainText('Removed con-extra');
  await page.goto('/audit');
  await expect(page.getByTestId('audit-table')).toContainText('con-extra');
  await saveScreenshot(page, 'audit');
});

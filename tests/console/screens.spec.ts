/* Every screen renders cleanly for an admin; each is saved as a screenshot and its load time printed. */
import { collectConsoleErrors, logTiming, saveScreenshot } from './support/console-page.ts';
import { serviceName, storageStateOf } from './support/lab-settings.ts';
import { sluice } from './support/sluice-cli.ts';
import { type Locator, type Page, expect, test } from '@playwright/test';

test.use({ storageState: storageStateOf('admin') });

/* What shows once the screen has its data. */
const SCREENS: { path: string; name: string; ready(page: Page): Locator }[] = [
  { path: '/services', name: 'services', ready: (page) => page.getByTestId('services-table') },
  { path: '/audit', name: 'audit', ready: (page) => page.getByTestId('audit-table') },
  { path: '/users', name: 'users', ready: (page) => page.getByTestId('users-table') },
  { path: '/connections', name: 'connections-page', ready: (page) => page.getByTestId('flow-table-summary') },
  { path: '/configuration', name: 'configuration', ready: (page) => page.getByRole('heading', { name: 'Import' }) },
  { path: '/account', name: 'account', ready: (page) => page.getByRole('heading', { name: 'Change your password' }) },
];

for (const screen of SCREENS) {
  test(`${screen.name} screen`, async ({ page }) => {
    const errors = collectConsoleErrors(page);
    const started = Date.now();
    await page.goto(screen.path);
    await expect(screen.ready(page)).toBeVisible();
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

test('the audit filter lives in the URL: a link opens the filtered log, a new filter changes the URL, a reload keeps it', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  const web = serviceName('web');
  for (const weight of [2, 1]) await sluice(['backend', 'set', web, '198.19.1.2:8080', '--weight', String(weight)]);
  await page.goto('/audit?action=backend.setWeight');
  await expect(page.getByLabel('Action')).toHaveValue('backend.setWeight');
  const actions = page.locator('[data-testid="audit-table"] tbody tr td:nth-child(3)');
  await expect(actions.first()).toHaveText('backend.setWeight');
  expect(new Set(await actions.allTextContents())).toEqual(new Set(['backend.setWeight']));

  await page.getByLabel('Who').fill('con-admin');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/[?&]actor=con-admin/);
  await expect(page).toHaveURL(/[?&]action=backend.setWeight/);
  await page.reload();
  await expect(page.getByLabel('Who')).toHaveValue('con-admin');
  await expect(page.getByLabel('Action')).toHaveValue('backend.setWeight');
  expect(errors).toEqual([]);
});

/* Logs in once per role through the login page and keeps each session for the specs (loxilb-ui's habit). */
import { mkdirSync } from 'node:fs';
import { AUTH_DIR, ROLES, USERS, storageStateOf } from './support/lab-settings.ts';
import { expect, test as setup } from '@playwright/test';
import { saveScreenshot } from './support/console-page.ts';

for (const role of ROLES) {
  setup(`log in as ${role}`, async ({ page }) => {
    mkdirSync(AUTH_DIR, { recursive: true });
    await page.goto('/login');
    if (role === 'admin') await saveScreenshot(page, 'login');
    await page.getByLabel('User name').fill(USERS[role].user);
    await page.getByLabel('Password').fill(USERS[role].password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByTestId('whoami')).toContainText(role);
    await page.context().storageState({ path: storageStateOf(role) });
  });
}

setup('a wrong password is refused in words', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('User name').fill(USERS.viewer.user);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByText('Wrong user name or password.')).toHaveAttribute('role', 'alert');
});

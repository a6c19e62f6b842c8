/*
 * Every screen at phone size (390 x 844): the navigation links are visible,
 * not covered by the user/logout block, and a real click (no force) on each
 * one navigates; the backends table keeps health, weight and the row actions
 * on screen. Screenshots of each screen at phone size.
 */
import { collectConsoleErrors, saveScreenshot } from './support/console-page.ts';
import { endpointOf, servicePagePath, storageStateOf } from './support/lab-settings.ts';
import { type Locator, type Page, expect, test } from '@playwright/test';

test.use({ storageState: storageStateOf('admin'), viewport: { width: 390, height: 844 } });

const NAV = [
  { name: 'Overview', path: /\/$/ },
  { name: 'Services', path: /\/services$/ },
  { name: 'Connections', path: /\/connections$/ },
  { name: 'Audit log', path: /\/audit$/ },
  { name: 'Node', path: /\/node$/ },
  { name: 'Users', path: /\/users$/ },
  { name: 'Configuration', path: /\/configuration$/ },
];
const SCREENS = [
  { path: '/', name: 'overview' },
  { path: '/services', name: 'services' },
  { path: servicePagePath('line'), name: 'service-line' },
  { path: '/connections', name: 'connections' },
  { path: '/audit', name: 'audit' },
  { path: '/node', name: 'node' },
  { path: '/users', name: 'users' },
  { path: '/configuration', name: 'configuration' },
  { path: '/account', name: 'account' },
];

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

async function boxOf(locator: Locator): Promise<Box> {
  const box = await locator.boundingBox();
  expect(box, `${locator} has a box`).not.toBeNull();
  return box!;
}

/** On screen horizontally: inside the 390 px viewport, not off to the right. */
async function expectOnScreen(page: Page, locator: Locator): Promise<void> {
  await expect(locator).toBeVisible();
  const box = await boxOf(locator);
  const width = page.viewportSize()!.width;
  expect(box.x, `${locator} starts on screen`).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, `${locator} ends on screen (viewport ${width} px)`).toBeLessThanOrEqual(width);
}

for (const screen of SCREENS) {
  test(`phone: ${screen.name}: every nav link visible, uncovered and clickable`, async ({ page }) => {
    const errors = collectConsoleErrors(page);
    await page.goto(screen.path);
    const nav = page.getByRole('navigation', { name: 'Main' });
    const whoami = page.locator('.whoami');
    await expect(whoami).toBeVisible();
    const whoamiBox = await boxOf(whoami);
    for (const link of NAV) {
      const locator = nav.getByRole('link', { name: link.name, exact: true });
      await expectOnScreen(page, locator);
      expect(overlaps(await boxOf(locator), whoamiBox), `${link.name} is not under the user/logout block`).toBe(false);
    }
    await saveScreenshot(page, `phone-${screen.name}`);
    /* A real click, as a thumb would: Playwright refuses it if anything covers the link. */
    for (const link of NAV) {
      await page.goto(screen.path);
      await nav.getByRole('link', { name: link.name, exact: true }).click();
      await expect(page).toHaveURL(link.path);
    }
    expect(errors).toEqual([]);
  });
}

test('phone: the backends table shows health, weight and the actions of each backend', async ({ page }) => {
  await page.goto(servicePagePath('line'));
  for (const i of [1, 2, 3]) {
    const endpoint = endpointOf('line', i);
    const row = page.locator(`[data-testid="backends-table"] tr[data-endpoint="${endpoint}"]`);
    await expectOnScreen(page, row.locator('[data-label="Health"]'));
    await expect(row.locator('[data-label="Health"]')).toContainText(/up|down|pending|checking|n\/a/i);
    await expectOnScreen(page, row.locator('[data-label="Weight"]'));
    await expectOnScreen(page, row.getByRole('button', { name: `Remove ${endpoint}` }));
  }
  await saveScreenshot(page, 'phone-backends');
});

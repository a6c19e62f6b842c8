/* What the specs do on console pages: screenshots, timing, finding a backend's row. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Locator, type Page, expect } from '@playwright/test';
import { SCREENSHOT_DIR } from './lab-settings.ts';

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export function backendRow(page: Page, endpoint: string): Locator {
  return page.locator(`[data-testid="backends-table"] tr[data-endpoint="${endpoint}"]`);
}

/** Waits until the row says the backend takes new connections (ready and up). */
export async function expectEligible(page: Page, endpoint: string): Promise<void> {
  await expect(backendRow(page, endpoint)).toHaveAttribute('data-eligible', 'true', { timeout: 20_000 });
}

/** Fails the test on any console error or uncaught page error: the console must run clean. */
export function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

export function logTiming(label: string, ms: number): void {
  process.stdout.write(`TIMING ${label}: ${ms.toFixed(0)} ms\n`);
}

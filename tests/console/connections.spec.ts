/*
 * The connection table shows a connection the test opened from the client
 * namespace, and the client filter finds it; then the table's page time is
 * measured with as many UDP flows as the run can create quickly.
 */
import { collectConsoleErrors, logTiming, saveScreenshot } from './support/console-page.ts';
import { CLIENT_SOURCES, LINE_PORT, SERVICES, backendAddress, namespace, storageStateOf } from './support/lab-settings.ts';
import { sluice } from './support/sluice-cli.ts';
import { hold } from '@sluice/testbed/client-traffic';
import { expect, test } from '@playwright/test';
import { holdConnection, udpFlows } from './support/traffic.ts';

test.use({ storageState: storageStateOf('viewer') });

/* UDP flows stay for the 60 s UDP timeout: enough to page through them. 10 client addresses x this many. */
const FLOWS_PER_SOURCE = Number(process.env.SLUICE_CONSOLE_FLOWS_PER_SOURCE ?? 5000);
const SOURCES = Array.from({ length: 10 }, (_, i) => `198.18.0.${10 + i}`);

test('a connection opened from the client namespace appears, and the client filter finds it', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  const source = CLIENT_SOURCES.connections;
  const hold = await holdConnection('line', { seconds: 60, source });
  try {
    await page.goto('/connections');
    await page.getByLabel('Client address').fill(source);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const rows = page.locator(`[data-testid="connections-table"] tbody tr[data-client="${source}"]`);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(`${SERVICES.line.address}:${SERVICES.line.port}`);
    await expect(rows.first()).toContainText('established');
    /* Every row on the page is that client: the agent filtered, not the browser. */
    await expect(page.locator('[data-testid="connections-table"] tbody tr')).toHaveCount(1);
    await saveScreenshot(page, 'connections-filtered');
  } finally {
    await hold.stop();
  }
  expect(errors).toEqual([]);
});

test('the backend filter alone finds the connections of a backend in every service it serves', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  const source = CLIENT_SOURCES.backendFilter;
  const backend = `${backendAddress(1)}:${LINE_PORT}`;
  /* Two more line services with be1 alone, so each held connection lands on it; be1 also serves `line`: three services. */
  const vips = ['198.18.100.21', '198.18.100.22'];
  for (const vip of vips) {
    await sluice(['service', 'add', `${vip}:${LINE_PORT}/tcp`, '--algorithm', 'round-robin', '--check', 'none']);
    await sluice(['backend', 'add', `${vip}:${LINE_PORT}/tcp`, backend]);
  }
  const holds = [];
  try {
    for (const vip of vips) holds.push(await hold({ namespace: namespace('client') }, vip, LINE_PORT, { seconds: 60, source, intervalMs: 200 }));
    await page.goto('/connections');
    await page.getByLabel('Backend').fill(backend);
    await page.getByLabel('Client address').fill(source);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const rows = page.locator(`[data-testid="connections-table"] tbody tr[data-client="${source}"]`);
    await expect(rows).toHaveCount(2);
    for (const vip of vips) await expect(rows.filter({ hasText: `${vip}:${LINE_PORT}` })).toHaveCount(1);
    await expect(page.locator('[data-testid="connections-table"] tbody tr')).toHaveCount(2);
    await expect(page.getByText(/name the service too/)).toHaveCount(0);
    await saveScreenshot(page, 'connections-backend-filter');
  } finally {
    for (const h of holds) await h.stop();
    for (const vip of vips) await sluice(['service', 'rm', `${vip}:${LINE_PORT}/tcp`, '--force']);
  }
  expect(errors).toEqual([]);
});

test('connection table page time with many flows', async ({ page }) => {
  test.setTimeout(300_000);
  let created = 0;
  for (const source of SOURCES) created += (await udpFlows('flows', FLOWS_PER_SOURCE, { source, concurrency: 500 })).succeeded;
  logTiming(`created UDP flows (count ${created}) — elapsed`, 0);

  const started = Date.now();
  await page.goto('/connections');
  await expect(page.getByTestId('connections-table')).toBeVisible();
  logTiming(`connections page load with ${created} UDP flows + others (navigation to first page of 100 rows)`, Date.now() - started);
  logTiming('connections first page fetch (browser to agent and back)', Number(await page.getByTestId('page-time').getAttribute('data-ms')));

  await page.getByLabel('Rows per page').selectOption('1000');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByTestId('page-info')).toContainText('1,000 rows');
  logTiming('connections page of 1000 rows fetch', Number(await page.getByTestId('page-time').getAttribute('data-ms')));
  const next = Date.now();
  await page.getByRole('button', { name: 'Next page' }).click();
  await expect(page.getByTestId('page-info')).toContainText('Page 2');
  logTiming('connections next page of 1000 rows (click to rendered)', Date.now() - next);
  logTiming('connections next page fetch', Number(await page.getByTestId('page-time').getAttribute('data-ms')));

  /* A filter on a deep client address still answers from the agent's index. */
  await page.getByLabel('Client address').fill(SOURCES.at(-1)!);
  await page.getByLabel('Rows per page').selectOption('100');
  const filtered = Date.now();
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByTestId('page-info')).toContainText('Page 1');
  await expect(page.locator(`[data-testid="connections-table"] tbody tr[data-client="${SOURCES.at(-1)}"]`).first()).toBeVisible();
  logTiming('connections filtered by client (click to rendered)', Date.now() - filtered);
  await saveScreenshot(page, 'connections');
});

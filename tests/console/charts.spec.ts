/*
 * Charts an operator can read (issue 15): history from the agent survives a
 * reload, the time range lives in the URL and changes the window and the
 * averaging step, and health changes (a backend made to refuse its checks in
 * the test network) and reweights are marked on the charts, listed, kept in
 * the audit log as the agent's own entries, and drawn on the health timeline.
 */
import { readFileSync } from 'node:fs';
import { type Page, expect, test } from '@playwright/test';
import { createSocketClient } from '@sluice/agent/client';
import { collectConsoleErrors, logTiming, saveScreenshot } from './support/console-page.ts';
import { onBackend } from './support/lab-backend-hosts.ts';
import { resetServices } from './support/lab.ts';
import { ADMIN_TOKEN_FILE, AGENT_SOCKET, HTTP_PORT, endpointOf, serviceName, servicePagePath, storageStateOf } from './support/lab-settings.ts';
import { sluice, sluiceJson } from './support/sluice-cli.ts';
import { httpRequests } from './support/traffic.ts';

test.use({ storageState: storageStateOf('admin') });
test.afterAll(async () => {
  await resetServices();
});

const newConnections = (page: Page) => page.getByTestId('chart-new-connections-per-second');
const numberAttribute = async (page: Page, testId: string, name: string) => Number(await page.getByTestId(testId).getAttribute(name));

test('the overview loads the agent’s history: points from before a reload are still drawn after it', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  await page.goto('/');
  await expect(page.getByTestId('live-samples')).toHaveAttribute('data-history', 'loaded');
  const report = await httpRequests('algo', 200, { concurrency: 10 });
  expect(report.failed).toBe(0);
  /* Let the traffic land in a 5 s step and a little after it. */
  await expect.poll(async () => Number(await newConnections(page).getAttribute('data-peak')), { timeout: 15_000 }).toBeGreaterThan(0);
  const reloaded = Date.now();
  await page.reload();
  await expect(page.getByTestId('live-samples')).toHaveAttribute('data-history', 'loaded');
  logTiming('overview history after reload', Date.now() - reloaded);
  /* The history reaches back before the reload and holds the traffic sent before it (none was sent since). */
  expect(Number(await newConnections(page).getAttribute('data-first-t'))).toBeLessThan(reloaded - 2000);
  expect(Number(await newConnections(page).getAttribute('data-peak'))).toBeGreaterThan(0);
  expect(Number(await newConnections(page).getAttribute('data-points'))).toBeGreaterThan(2);
  expect(errors).toEqual([]);
});

test('the time range lives in the URL and sets the window and the averaging step', async ({ page, context }) => {
  await page.goto('/');
  await expect(page.getByTestId('time-range')).toHaveAttribute('data-range', '5m');
  await expect(newConnections(page)).toHaveAttribute('data-domain-ms', String(300_000));
  await expect.poll(async () => Number(await newConnections(page).getAttribute('data-step-ms')), { timeout: 15_000 }).toBeGreaterThan(0);
  expect(Number(await newConnections(page).getAttribute('data-step-ms')) % 5000).toBe(0);
  await expect(page.getByTestId('chart-averaging')).toContainText('mean of 5 s');

  await page.getByTestId('range-1h').click();
  await expect(page).toHaveURL(/\?range=1h$/);
  await expect(page.getByTestId('range-1h')).toHaveAttribute('aria-pressed', 'true');
  await expect(newConnections(page)).toHaveAttribute('data-domain-ms', String(3_600_000));
  await expect(page.getByTestId('chart-averaging')).toContainText('mean of 30 s');
  await expect.poll(async () => Number(await newConnections(page).getAttribute('data-step-ms')) % 30_000, { timeout: 15_000 }).toBe(0);

  /* Reload keeps it; a link opens the same view in another tab. */
  await page.reload();
  await expect(page.getByTestId('time-range')).toHaveAttribute('data-range', '1h');
  const other = await context.newPage();
  await other.goto(`${servicePagePath('algo')}?range=1h`);
  await expect(other.getByTestId('time-range')).toHaveAttribute('data-range', '1h');
  await expect(other.getByTestId('chart-new-connections-per-second')).toHaveAttribute('data-domain-ms', String(3_600_000));
  await other.close();

  await page.getByTestId('range-5m').click();
  await expect(page).toHaveURL(/\/$/);
  await expect(newConnections(page)).toHaveAttribute('data-domain-ms', String(300_000));
});

/* be3 refuses TCP to its HTTP port (its checks and clients alike) with a table of our own in its namespace, until removed. */
const REFUSE_TABLE = 'sluice_charts_spec';
const refuseHttp = (backend: number) =>
  onBackend(
    backend,
    `nft add table inet ${REFUSE_TABLE} && nft add chain inet ${REFUSE_TABLE} input '{ type filter hook input priority 0; }' && nft add rule inet ${REFUSE_TABLE} input tcp dport ${HTTP_PORT} reject with tcp reset`,
  );
const acceptHttp = (backend: number) => onBackend(backend, `nft delete table inet ${REFUSE_TABLE} 2>/dev/null || true`);

test('a reweight and a health change are marked, listed, audited as the agent’s own, and drawn on the health timeline', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  const service = serviceName('algo');
  const backend = endpointOf('algo', 3);
  await page.goto(servicePagePath('algo'));
  await expect(page.getByTestId('live-samples')).toHaveAttribute('data-history', 'loaded');
  const markersBefore = Number(await newConnections(page).getAttribute('data-markers'));

  await sluice(['backend', 'set', service, endpointOf('algo', 2), '--weight', '4']);
  const events = page.getByTestId('chart-events');
  await expect(events.locator(`li[data-action="backend.setWeight"]`).first()).toContainText(`${endpointOf('algo', 2)} weight 1 → 4`);
  await expect.poll(() => numberAttribute(page, 'chart-new-connections-per-second', 'data-markers')).toBeGreaterThan(markersBefore);
  await expect(newConnections(page).locator('.event-marker')).toHaveCount(Number(await newConnections(page).getAttribute('data-markers')));

  try {
    await refuseHttp(3);
    await expect(events.locator(`li[data-action="health.down"][data-endpoint="${backend}"]`).first()).toContainText(`${backend} down`, { timeout: 15_000 });
    await expect(page.locator(`[data-testid="health-timeline"] [data-endpoint="${backend}"] [data-state="down"]`).first()).toBeVisible();
  } finally {
    await acceptHttp(3);
  }
  await expect(events.locator(`li[data-action="health.up"][data-endpoint="${backend}"]`).first()).toContainText(`${backend} up`, { timeout: 15_000 });
  const timeline = page.locator(`[data-testid="health-timeline"] [data-endpoint="${backend}"]`);
  await expect(timeline.locator('[data-state="up"]').last()).toBeVisible();
  await expect(timeline.locator('[data-state="down"]')).not.toHaveCount(0);

  /* The audit log holds the transitions as the agent's own entries, with the reason. */
  const audit = await sluiceJson<{ items: { actor: string; action: string; target: string; after: { up: boolean; reason: string } }[] }>([
    'audit',
    '--action',
    'health.down',
    '--limit',
    '5',
  ]);
  const down = audit.items.find((e) => e.target === `${service} ${backend}`);
  expect(down, 'a health.down entry for the backend').toBeDefined();
  expect(down!.actor).toBe('sluice-agent');
  expect(down!.after.up).toBe(false);
  expect(down!.after.reason.length).toBeGreaterThan(0);

  await saveScreenshot(page, 'service-charts');
  expect(errors).toEqual([]);
});

/* The events query's limit (use-chart-events.ts): a busy range (bulk changes, a flapping backend) fills it. */
const EVENTS_LIMIT = 500;

/* Last in this file: the range then holds the limit, so a later new event would not raise a chart's count. */
test('a range full of events (the query’s 500) still shows the overview, every marker drawn on every chart', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  const client = createSocketClient({ socketPath: AGENT_SOCKET, token: readFileSync(ADMIN_TOKEN_FILE, 'utf8').trim() });
  const service = serviceName('algo');
  const endpoint = endpointOf('algo', 2);
  /* Drain and ready again, ending ready: an action no other spec counts (csv-export.spec.ts expects its reweights on one page of 500). */
  for (let i = 0; i < EVENTS_LIMIT; i++) await client.backends.setState.mutate({ service, endpoint, state: i % 2 === 0 ? 'drain' : 'ready' });

  const started = Date.now();
  await page.goto('/');
  await expect(page.getByTestId('live-samples')).toHaveAttribute('data-history', 'loaded');
  const charts = page.locator('figure[data-markers]');
  await expect(charts).toHaveCount(4);
  for (const chart of await charts.all()) {
    /* The window's end follows the samples, up to a second behind the newest event. */
    await expect(chart).toHaveAttribute('data-markers', String(EVENTS_LIMIT));
    await expect(chart.locator('.event-marker')).toHaveCount(EVENTS_LIMIT);
  }
  await expect(page.getByTestId('chart-events').locator('li')).toHaveCount(EVENTS_LIMIT);
  logTiming(`overview with ${EVENTS_LIMIT} events marked`, Date.now() - started);
  expect(errors).toEqual([]);
});

/*
 * A backend's error signals beside its traffic (issue 15), with real traffic
 * in the lab: a nat service of two backends, round robin, no other client.
 * be1 refuses the spec's client with TCP resets (nft reject in its
 * namespace) and be2 swallows its SYNs (nft drop); both still pass their
 * health checks, which come from the balancer, not from that client. N
 * connections split N/2 and N/2 exactly (round robin, one turn per new
 * connection; a retransmitted SYN takes none), so the agent must report
 * exactly N/2 resets on be1 and, once the conntrack GC has found the
 * half-open flows idle past the 30 s SYN timeout, exactly N/2 SYNs without
 * reply on be2, and nothing else; the service page must show those numbers,
 * on a desktop and on a 390 px phone.
 */
import { type Page, expect, test } from '@playwright/test';
import type { StatsTotals } from '@sluice/api';
import { collectConsoleErrors, saveScreenshot } from './support/console-page.ts';
import { onBackend } from './support/lab-backend-hosts.ts';
import { CLIENT_SOURCES, HTTP_PORT, backendAddress, namespace, storageStateOf } from './support/lab-settings.ts';
import { sluice, sluiceJson } from './support/sluice-cli.ts';
import { http } from '@sluice/testbed/client-traffic';

test.use({ storageState: storageStateOf('viewer') });
test.describe.configure({ mode: 'serial' });

/* A VIP of the lab on a port no other spec uses: nat rewrites it to the backends' HTTP port. */
const VIP = '198.18.100.3';
const PORT = 8081;
const SERVICE = `${VIP}:${PORT}/tcp`;
const PAGE = `/services/${encodeURIComponent(SERVICE)}`;
const SOURCE = CLIENT_SOURCES.backendErrors;
const RESETTING = `${backendAddress(1)}:${HTTP_PORT}`;
const SILENT = `${backendAddress(2)}:${HTTP_PORT}`;
/* Connections sent: an even number, half to each backend. */
const CONNECTIONS = 10;
/* Each connect gives up after 2 s: the SYN and one retransmission (same sequence: the same flow, no new turn). */
const CONNECT_TIMEOUT_MS = 2000;
/* The GC deletes a half-open flow idle for 30 s, sweeping every 5 s. */
const SYN_TIMEOUT_MS = 30_000;
const GC_INTERVAL_MS = 5000;
const TABLE = 'sluice_backend_errors_spec';

const nftRule = (verdict: string) =>
  `nft add table inet ${TABLE} && nft add chain inet ${TABLE} input '{ type filter hook input priority 0; }' && nft add rule inet ${TABLE} input ip saddr ${SOURCE} tcp dport ${HTTP_PORT} ${verdict}`;
const removeRules = (backend: number) => onBackend(backend, `nft delete table inet ${TABLE} 2>/dev/null || true`);

type BackendTotals = StatsTotals['backends'][number];
async function backendTotals(): Promise<Map<string, BackendTotals>> {
  const totals = await sluiceJson<StatsTotals>(['stats']);
  return new Map(totals.backends.filter((b) => b.service === SERVICE).map((b) => [b.endpoint, b]));
}

const row = (page: Page, endpoint: string) => page.locator(`[data-testid="backend-errors-table"] tr[data-endpoint="${endpoint}"]`);
const cell = (page: Page, endpoint: string, testId: string) => row(page, endpoint).getByTestId(testId);

let sentAt = 0;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  await sluice(['service', 'add', SERVICE, '--algorithm', 'round-robin', '--check', 'tcp']).catch(() => undefined);
  for (const endpoint of [RESETTING, SILENT]) await sluice(['backend', 'add', SERVICE, endpoint]);
  await onBackend(1, nftRule('reject with tcp reset'));
  await onBackend(2, nftRule('drop'));
  /* Both eligible (their checks pass: they come from the balancer's address, not the spec's client). */
  await expect
    .poll(async () => (await sluiceJson<{ endpoint: string; eligible: boolean }[]>(['backend', 'ls', SERVICE])).filter((b) => b.eligible).length, {
      timeout: 20_000,
    })
    .toBe(2);
});

test.afterAll(async () => {
  await removeRules(1);
  await removeRules(2);
  await sluice(['service', 'rm', SERVICE]).catch(() => undefined);
});

test('the agent counts exactly the resets and the SYNs without reply the client met', async () => {
  test.setTimeout(120_000);
  const before = await backendTotals();
  for (const endpoint of [RESETTING, SILENT]) {
    expect(before.get(endpoint)?.errors.resets, `${endpoint}: no resets before`).toBe(0);
    expect(before.get(endpoint)?.errors.unansweredSyns, `${endpoint}: no SYNs without reply before`).toBe(0);
  }
  const report = await http({ namespace: namespace('client') }, VIP, PORT, {
    count: CONNECTIONS,
    concurrency: 1,
    source: SOURCE,
    requestTimeoutMs: CONNECT_TIMEOUT_MS,
  });
  sentAt = Date.now();
  process.stdout.write(`backend errors: client report ${JSON.stringify(report)}\n`);
  expect(report.succeeded, 'no connection got through').toBe(0);
  expect(report.failed).toBe(CONNECTIONS);

  /* Resets pass the balancer at once: N/2, all on be1. */
  await expect.poll(async () => (await backendTotals()).get(RESETTING)?.errors.resets, { timeout: 10_000 }).toBe(CONNECTIONS / 2);
  /* The SYNs without reply: once the GC has found the half-open flows idle past the SYN timeout. */
  await expect
    .poll(async () => (await backendTotals()).get(SILENT)?.errors.unansweredSyns, { timeout: SYN_TIMEOUT_MS + 3 * GC_INTERVAL_MS + 10_000, intervals: [1000] })
    .toBe(CONNECTIONS / 2);
  process.stdout.write(`backend errors: SYNs without reply counted ${((Date.now() - sentAt) / 1000).toFixed(1)} s after the last connection\n`);
  const after = await backendTotals();
  process.stdout.write(
    `backend errors: agent totals ${JSON.stringify([...after.values()].map((b) => ({ endpoint: b.endpoint, newFlows: b.newFlows, ...b.errors })))}\n`,
  );
  const resetting = after.get(RESETTING)!;
  const silent = after.get(SILENT)!;
  /* Each backend got its half of the connections, and only its own signal moved. */
  expect(resetting.newFlows).toBe(CONNECTIONS / 2);
  expect(silent.newFlows).toBe(CONNECTIONS / 2);
  expect(resetting.errors.unansweredSyns, 'a refused SYN was answered (by a reset)').toBe(0);
  expect(silent.errors.resets).toBe(0);
  for (const b of [resetting, silent]) {
    expect(
      Object.values(b.errors.drops).every((n) => n === 0),
      `${b.endpoint}: no drops`,
    ).toBe(true);
    expect(b.errors.incompleteHandshakes, 'nat: incomplete handshakes is the bypass modes’ signal').toBeNull();
    expect(b.errors.healthLatencyMs, `${b.endpoint}: its checks pass and are timed`).toBeGreaterThan(0);
  }
});

test('desktop: the service page shows each backend’s resets and SYNs without reply beside its traffic', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  await page.goto(PAGE);
  /* The history of three scopes after the page's first queries: seconds on a busy two-core machine. */
  await expect(page.getByTestId('live-samples')).toHaveAttribute('data-history', 'loaded', { timeout: 30_000 });
  await expect(cell(page, RESETTING, 'backend-resets')).toHaveAttribute('data-value', String(CONNECTIONS / 2));
  await expect(cell(page, SILENT, 'backend-failed-handshakes')).toHaveAttribute('data-value', String(CONNECTIONS / 2));
  await expect(cell(page, RESETTING, 'backend-failed-handshakes')).toHaveAttribute('data-value', '0');
  await expect(cell(page, SILENT, 'backend-resets')).toHaveAttribute('data-value', '0');
  await expect(cell(page, RESETTING, 'backend-drops')).toHaveAttribute('data-value', '0');
  /* The charts hold the history: resets were drawn for be1 (the first line), failed handshakes show in the headline of the range. */
  const charts = page.getByTestId('backend-error-charts');
  const resets = charts.getByTestId('chart-backend-resets-per-second');
  await expect.poll(async () => Number(await resets.getAttribute('data-peak')), { timeout: 15_000 }).toBeGreaterThan(0);
  await expect(charts.getByTestId('chart-syns-without-reply-per-second')).toBeVisible();
  await expect(charts.getByTestId('chart-health-check-latency')).toBeVisible();
  await saveScreenshot(page, 'backend-errors-desktop');
  expect(errors).toEqual([]);
});

test.describe('phone', () => {
  test.use({ viewport: { width: 390, height: 844 } });
  test('390 px: the error signals fit the width, each backend a card', async ({ page }) => {
    const errors = collectConsoleErrors(page);
    await page.goto(PAGE);
    await expect(cell(page, SILENT, 'backend-failed-handshakes')).toHaveAttribute('data-value', String(CONNECTIONS / 2));
    await expect(cell(page, RESETTING, 'backend-resets')).toHaveAttribute('data-value', String(CONNECTIONS / 2));
    const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(scroll, `page width ${scroll} px within the ${client} px viewport`).toBeLessThanOrEqual(client);
    for (const locator of [
      cell(page, SILENT, 'backend-failed-handshakes'),
      cell(page, RESETTING, 'backend-resets'),
      page.getByTestId('chart-backend-resets-per-second'),
    ]) {
      const box = await locator.boundingBox();
      expect(box, 'on the page').not.toBeNull();
      expect(box!.x + box!.width, 'ends on screen').toBeLessThanOrEqual(390);
    }
    await saveScreenshot(page, 'backend-errors-phone');
    expect(errors).toEqual([]);
  });
});

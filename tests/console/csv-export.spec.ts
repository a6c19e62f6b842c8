/*
 * Tables as CSV: each button downloads exactly the rows of the table's
 * current filter, every page of it (not just the page on screen), says how
 * many, and quotes what needs quoting. Checked against the agent (the CLI)
 * and read back with an RFC 4180 reader of the test's own.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { collectConsoleErrors, saveScreenshot } from './support/console-page.ts';
import { csvObjects } from './support/csv-read.ts';
import { serviceName, servicePagePath, storageStateOf } from './support/lab-settings.ts';
import { resetServices } from './support/lab.ts';
import { sluice, sluiceJson } from './support/sluice-cli.ts';
import { udpFlows } from './support/traffic.ts';
import { expect, test } from '@playwright/test';

test.use({ storageState: storageStateOf('admin') });
test.describe.configure({ mode: 'serial' });
let errors: string[] = [];
test.beforeAll(async () => resetServices());
test.beforeEach(({ page }) => {
  errors = collectConsoleErrors(page);
});
test.afterEach(() => expect(errors, 'browser console errors').toEqual([]));

/* A client address of the lab's client namespace that no other spec uses. */
const CSV_SOURCE = '198.18.0.16';
/* Datagrams, each from a new socket: more flows than one agent page (1,000) and far more than one screen page (100). */
const DATAGRAMS = 1500;

/* The agent's own answer to the same filter, every page of it, through the CLI. */
async function agentFlowPorts(client: string): Promise<number[]> {
  const ports: number[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10; page++) {
    const args = ['conns', '--client', client, '--limit', '1000', ...(cursor ? ['--cursor', cursor] : [])];
    const result: { items: { clientPort: number }[]; nextCursor: string | null } = await sluiceJson(args);
    ports.push(...result.items.map((f) => f.clientPort));
    cursor = result.nextCursor;
    if (!cursor) return ports;
  }
  throw new Error(`more than 10 pages of flows of ${client}`);
}

async function downloadCsv(page: Page, scope: ReturnType<Page['locator']> | Page = page): Promise<{ rows: Record<string, string>[]; text: string }> {
  const downloading = page.waitForEvent('download');
  await scope.getByRole('button', { name: 'Export CSV' }).click();
  const text = readFileSync((await (await downloading).path())!, 'utf8');
  return { rows: csvObjects(text), text };
}

test('services and backends: every row, the same as the agent lists', async ({ page }) => {
  await page.goto('/services');
  const services = await sluiceJson<{ name: string; backendCount: number }[]>(['service', 'ls']);
  const { rows } = await downloadCsv(page);
  expect(rows.map((r) => r.service).sort()).toEqual(services.map((s) => s.name).sort());
  await expect(page.getByTestId('csv-status')).toHaveText(`sluice-services.csv: ${services.length} rows, all that match.`);

  await page.goto(servicePagePath('web'));
  const backends = await sluiceJson<{ endpoint: string; weight: number; state: string }[]>(['backend', 'ls', serviceName('web')]);
  const csv = await downloadCsv(page);
  expect(csv.rows.map((r) => [r.backend, r.weight, r.admin_state])).toEqual(backends.map((b) => [b.endpoint, String(b.weight), b.state]));
  expect(csv.rows.every((r) => r.service === serviceName('web'))).toBe(true);
});

test('connections: all pages of the current filter, not the 100 rows on screen, and it says how many', async ({ page }) => {
  test.setTimeout(240_000);
  /* The connections spec sends from every client address; its UDP flows end after the 60 s UDP timeout. Start from none. */
  await expect
    .poll(async () => (await sluiceJson<{ items: unknown[] }>(['conns', '--client', CSV_SOURCE, '--limit', '1'])).items.length, {
      message: `flows of ${CSV_SOURCE} left from earlier specs`,
      timeout: 100_000,
      intervals: [2_000],
    })
    .toBe(0);
  const sent = await udpFlows('flows', DATAGRAMS, { source: CSV_SOURCE });
  const sentAt = Date.now();
  expect(sent.succeeded, 'every datagram answered').toBe(DATAGRAMS);
  /* A big table is listed from a snapshot a few seconds old (the other specs' flows make it big): wait for one built after the send. */
  await expect
    .poll(
      async () => {
        const asked = Date.now();
        const { table } = await sluiceJson<{ table: { snapshotAgeMs: number | null } }>(['conns', '--client', CSV_SOURCE, '--limit', '1']);
        return table.snapshotAgeMs !== null && table.snapshotAgeMs < asked - sentAt;
      },
      { message: 'a snapshot of the flow table built after the datagrams were answered', timeout: 30_000, intervals: [500] },
    )
    .toBe(true);
  /* A source port the kernel hands out again makes the same flow: count what the agent holds. */
  const ports = await agentFlowPorts(CSV_SOURCE);
  expect(ports.length, 'more flows than one agent page').toBeGreaterThan(1000);
  await page.goto('/connections');
  await page.getByLabel('Client address').fill(CSV_SOURCE);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByTestId('page-info')).toContainText('100 rows');
  const { rows } = await downloadCsv(page);
  expect(rows.every((r) => r.client_address === CSV_SOURCE && r.protocol === 'udp')).toBe(true);
  expect(rows.map((r) => Number(r.client_port)).sort(), 'exactly the flows the agent lists for the filter').toEqual(ports.sort());
  await expect(page.getByTestId('csv-status')).toHaveText(`sluice-connections.csv: ${ports.length} rows from 2 pages, all that match.`);
  await saveScreenshot(page, 'connections-csv');
});

test('audit: every entry of the filter, before and after as JSON that survives the quoting', async ({ page }) => {
  /* Entries whose change has commas and quotes in it. */
  for (const weight of [2, 3, 1]) await sluice(['backend', 'set', serviceName('web'), '198.19.1.2:8080', '--weight', String(weight)]);
  const expected = await sluiceJson<{ items: { id: number; action: string; after: unknown }[]; nextCursor: string | null }>([
    'audit',
    '--action',
    'backend.setWeight',
    '--limit',
    '500',
  ]);
  expect(expected.nextCursor, 'the test expects one agent page of these').toBeNull();
  await page.goto('/audit');
  await page.getByLabel('Action').fill('backend.setWeight');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByTestId('audit-table')).toContainText('backend.setWeight');
  const { rows, text } = await downloadCsv(page);
  expect(text).toContain('""weight"":');
  expect(rows.map((r) => Number(r.id))).toEqual(expected.items.map((e) => e.id));
  expect(rows.map((r) => JSON.parse(r.after!))).toEqual(expected.items.map((e) => e.after));
  await expect(page.getByTestId('csv-status')).toHaveText(`sluice-audit.csv: ${expected.items.length} rows from 1 page, all that match.`);
});

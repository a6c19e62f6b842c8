/*
 * The Node page of an active/standby pair (issue 13), against pair-lab.ts:
 * two nodes with real keepalived and flow sync, a console on each. Each
 * console shows its own node's role, its peer's role (said over the sync
 * channel), the sync state and the lag of the peer's changes, as node.status
 * (`sluice node status --json`) has them; the lag appears once the master
 * has forwarded new connections.
 */
import type { NodeStatus } from '@sluice/api';
import { http } from '@sluice/testbed/client-traffic';
import { HTTP, type Pair, waitForHolder, waitForRole } from '@sluice/testbed/ha-pair';
import { type Browser, type Page, expect, test } from '@playwright/test';
import { saveScreenshot } from './support/console-page.ts';
import { USERS } from './support/lab-settings.ts';
import { nodeSluiceJson } from './support/node-lab.ts';
import { type PairNodeName, bringUpPairLab, pairConsoleUrl, tearDownPairLab } from './support/pair-lab.ts';

test.describe.configure({ mode: 'serial' });

/* keepalived's first election and the roles it writes to each agent's notify FIFO, on a shared 2-core machine. */
const ELECTION_WAIT_MS = 30_000;

let pair: Pair;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  pair = await bringUpPairLab();
  await waitForHolder(pair, 'n1', ELECTION_WAIT_MS);
  await waitForRole(pair, 'n1', 'master', ELECTION_WAIT_MS);
  await waitForRole(pair, 'n2', 'backup', ELECTION_WAIT_MS);
});

test.afterAll(async () => {
  await tearDownPairLab();
});

async function nodePage(browser: Browser, name: PairNodeName): Promise<Page> {
  const context = await browser.newContext({ baseURL: pairConsoleUrl(name), viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('User name').fill(USERS.viewer.user);
  await page.getByLabel('Password').fill(USERS.viewer.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('whoami')).toContainText('viewer');
  await page.goto('/node');
  return page;
}

const status = (name: PairNodeName) => nodeSluiceJson<NodeStatus>(pair.nodes.get(name)!.network, ['node', 'status']);

test("each node's console shows its role and its peer's, the sync state and the lag, as node.status has them", async ({ browser }) => {
  test.setTimeout(120_000);
  /* Changes for n2 to apply: new connections through n1 (each a new flow, streamed to n2). */
  const answered = await http(pair.ha.client, pair.ha.vips[1]!, HTTP, { count: 20 });
  expect(answered.succeeded).toBe(20);
  for (const [name, role, peerRole] of [
    ['n1', 'master', 'backup'],
    ['n2', 'backup', 'master'],
  ] as const) {
    const page = await nodePage(browser, name);
    await expect(page.getByTestId('vrrp-role')).toHaveText(role.toUpperCase());
    await expect(page.getByTestId('sync-state')).toHaveText('IN-SYNC');
    await expect(page.getByTestId('sync-peer-role')).toHaveAttribute('data-role', peerRole);
    await expect(page.getByTestId('sync-split-brain')).toHaveAttribute('data-yielding', 'false');
    const now = await status(name);
    expect(now.vrrp?.role).toBe(role);
    expect(now.sync?.peerRole).toBe(peerRole);
    expect(now.sync?.state).toBe('in-sync');
    if (name === 'n2') {
      /* n1's flows reached n2: its lag is measured, and the page says so in numbers. */
      expect(now.sync!.lag.samples).toBeGreaterThan(0);
      await expect(page.getByTestId('sync-lag')).toHaveText(/^p50 \d+ ms, p99 \d+ ms, max \d+ ms over \d+ batches$/);
    }
    await saveScreenshot(page, `node-pair-${name}`);
    await page.context().close();
  }
});

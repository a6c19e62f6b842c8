/*
 * The Node page's Fleet panel (issue 16), against fleet-lab.ts: three real
 * agents sharing one desired state on a real etcd, a console on n1. The
 * panel lists every node with its version, applied revision against the
 * fleet's, health, announcement and traffic as `sluice fleet --json` has
 * them; a change made in the console says "converged 3 of 3 at revision R"
 * with the fleet's R; a node killed (no clean stop) leaves the panel once
 * its lease lapses; the panel reads at 390 px wide; with etcd stopped the
 * panel says the store is unreachable and a change is refused in words, and
 * once etcd is back the alert goes and a change converges again.
 */
import type { FleetNode, FleetStatus } from '@sluice/api';
import { type Browser, type Page, expect, test } from '@playwright/test';
import { saveScreenshot } from './support/console-page.ts';
import {
  FLEET_BACKENDS,
  FLEET_NODES,
  FLEET_SERVICE,
  type FleetLab,
  bringUpFleetLab,
  fleetConsoleUrl,
  killFleetNode,
  startFleetStore,
  stopFleetStore,
  tearDownFleetLab,
} from './support/fleet-lab.ts';
import { USERS } from './support/lab-settings.ts';
import { nodeSluiceJson } from './support/node-lab.ts';

test.describe.configure({ mode: 'serial' });

/* The agent's registration lease (etcd-fleet.ts DEFAULT_LEASE_TTL_S); etcd expires a lease up to about a second late, the page polls each second. */
const LEASE_TTL_MS = 5000;
const LEAVE_MARGIN_MS = 3000;
/* etcd's stop or return seen by the node (its calls time out after 2 s) and by the page (it polls each second). */
const STORE_WAIT_MS = 15_000;

let lab: FleetLab;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  lab = await bringUpFleetLab();
});

test.afterAll(async () => {
  await tearDownFleetLab();
});

const fleet = (name: (typeof FLEET_NODES)[number] = 'n2') => nodeSluiceJson<FleetStatus>(lab.nodes.get(name)!.network, ['fleet']);

/** `sluice fleet --json` (from n2) once `count` nodes are registered and all hold the fleet's revision. */
async function convergedFleet(count: number): Promise<FleetStatus> {
  let status = await fleet();
  await expect
    .poll(
      async () => {
        status = await fleet();
        return status.reachable && status.nodes.length === count && status.converged === count;
      },
      { timeout: 20_000 },
    )
    .toBe(true);
  return status;
}

async function nodePage(browser: Browser, role: 'operator' | 'viewer', viewport = { width: 1440, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ baseURL: fleetConsoleUrl, viewport });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('User name').fill(USERS[role].user);
  await page.getByLabel('Password').fill(USERS[role].password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('whoami')).toContainText(role);
  await page.goto('/node');
  return page;
}

const nodeRow = (page: Page, node: string) => page.locator(`[data-testid="fleet-nodes"] tr[data-node="${node}"]`);
const pps = (n: FleetNode) => (n.traffic!.pps === 0 ? '0 pps' : /pps$/);

/** Each node's row says what its registration says. */
async function expectRows(page: Page, status: FleetStatus): Promise<void> {
  await expect(page.locator('[data-testid="fleet-nodes"] tbody tr')).toHaveCount(status.nodes.length);
  for (const n of status.nodes) {
    const row = nodeRow(page, n.node);
    await expect(row.locator('th, td').first()).toHaveText(n.node);
    await expect(row.getByRole('cell', { name: n.version, exact: true })).toBeVisible();
    await expect(row.getByTestId('fleet-node-revision')).toHaveAttribute('data-revision', String(n.appliedRevision));
    await expect(row.getByTestId('fleet-node-revision')).toHaveText(String(n.appliedRevision));
    await expect(row.getByTestId('fleet-node-health')).toHaveAttribute('data-healthy', String(n.healthy));
    await expect(row.getByTestId('fleet-node-announcing')).toHaveAttribute('data-announcing', String(n.announcing));
    expect(n.traffic, `${n.node} registers its traffic`).not.toBeNull();
    await expect(row.getByTestId('fleet-node-traffic')).toHaveAttribute('data-packets', String(n.traffic!.packets));
    await expect(row.getByTestId('fleet-node-traffic')).toContainText(pps(n));
    await expect(row.getByTestId('fleet-node-traffic')).toContainText(`${n.traffic!.activeFlows} flows`);
  }
}

test('the panel lists every node with version, applied revision vs the fleet, health, announcement and traffic, as `sluice fleet` has them', async ({
  browser,
}) => {
  const status = await convergedFleet(3);
  expect(status.nodes.map((n) => n.node)).toEqual([...FLEET_NODES]);
  const page = await nodePage(browser, 'viewer');
  await expect(page.getByTestId('fleet-state')).toHaveText('ON');
  await expect(page.getByTestId('fleet-converged')).toHaveText(`converged 3 of 3 at revision ${status.revision}`);
  await expectRows(page, status);
  /* No BGP speaker in this lab: every node says so rather than "no". */
  for (const n of status.nodes) expect(n.announcing).toBeNull();
  await expect(nodeRow(page, 'n1').getByTestId('fleet-node-announcing')).toHaveText('no BGP');
  await saveScreenshot(page, 'fleet-panel');
  await page.context().close();
});

test('a reweight in the console says "converged 3 of 3 at revision R" with the fleet\'s R; the panel follows', async ({ browser }) => {
  const before = await convergedFleet(3);
  const page = await nodePage(browser, 'operator');
  const endpoint = FLEET_BACKENDS[1];
  await page.goto(`/services/${encodeURIComponent(FLEET_SERVICE)}`);
  await page.getByLabel(`Weight of ${endpoint}`).fill('5');
  await page.getByRole('button', { name: `Save weight of ${endpoint}` }).click();
  const notice = page.getByTestId('notice');
  await expect(notice).toContainText('now has weight 5');
  /* The notice ends with its close button (×), hence no $. */
  await expect(notice).toContainText(/ — converged 3 of 3 at revision \d+\b/);
  const said = Number((await notice.textContent())!.match(/converged 3 of 3 at revision (\d+)\b/)![1]);
  const after = await convergedFleet(3);
  expect(said, 'the notice names the revision the fleet is at now').toBe(after.revision);
  expect(said).toBeGreaterThan(before.revision!);
  /* Every node applied it: the weight on n3, read through its own CLI. */
  const onN3 = await nodeSluiceJson<{ endpoint: string; weight: number }[]>(lab.nodes.get('n3')!.network, ['backend', 'ls', FLEET_SERVICE]);
  expect(onN3.find((b) => b.endpoint === endpoint)?.weight).toBe(5);
  await saveScreenshot(page, 'fleet-converged-notice');
  await page.goto('/node');
  await expect(page.getByTestId('fleet-converged')).toHaveText(`converged 3 of 3 at revision ${said}`);
  for (const name of FLEET_NODES) await expect(nodeRow(page, name).getByTestId('fleet-node-revision')).toHaveAttribute('data-revision', String(said));
  await page.context().close();
});

test('at 390 px wide the panel shows each node as a card, on screen', async ({ browser }) => {
  const status = await convergedFleet(3);
  const page = await nodePage(browser, 'viewer', { width: 390, height: 844 });
  const panel = page.getByTestId('fleet-panel');
  await panel.scrollIntoViewIfNeeded();
  await expect(page.getByTestId('fleet-converged')).toHaveText(`converged 3 of 3 at revision ${status.revision}`);
  for (const n of status.nodes) {
    const row = nodeRow(page, n.node);
    await row.scrollIntoViewIfNeeded();
    await expect(row).toBeVisible();
    const box = (await row.boundingBox())!;
    expect(box.x, `${n.node}'s card starts on screen`).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, `${n.node}'s card ends on screen`).toBeLessThanOrEqual(390);
  }
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'no sideways scrolling').toBeLessThanOrEqual(0);
  await saveScreenshot(page, 'phone-fleet-panel');
  await page.context().close();
});

test('a node killed (no clean stop) leaves the panel within its lease time; the others stay', async ({ browser }) => {
  await convergedFleet(3);
  const page = await nodePage(browser, 'viewer');
  await expect(nodeRow(page, 'n3')).toBeVisible();
  const killed = Date.now();
  await killFleetNode('n3');
  await expect(nodeRow(page, 'n3')).toHaveCount(0, { timeout: LEASE_TTL_MS + LEAVE_MARGIN_MS });
  const left = Date.now() - killed;
  console.log(`# n3 SIGKILLed: gone from the panel ${left} ms later (lease ${LEASE_TTL_MS} ms)`);
  const status = await fleet('n1');
  expect(status.nodes.map((n) => n.node)).toEqual(['n1', 'n2']);
  await expect(page.getByTestId('fleet-converged')).toHaveText(`converged 2 of 2 at revision ${status.revision}`);
  await expectRows(page, status);
  await saveScreenshot(page, 'fleet-node-left');
  await page.context().close();
});

test('etcd stopped: the panel says the store is unreachable and a change is refused saying so; etcd back: the alert goes, the change goes through', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const before = await convergedFleet(2);
  const page = await nodePage(browser, 'operator');
  const endpoint = FLEET_BACKENDS[0];
  await stopFleetStore();
  try {
    await expect(page.getByTestId('fleet-unreachable')).toContainText(`The store ${before.store} is unreachable`, { timeout: STORE_WAIT_MS });
    await saveScreenshot(page, 'fleet-store-unreachable');
    await page.goto(`/services/${encodeURIComponent(FLEET_SERVICE)}`);
    await page.getByLabel(`Weight of ${endpoint}`).fill('3');
    await page.getByRole('button', { name: `Save weight of ${endpoint}` }).click();
    await expect(page.getByTestId('notice')).toContainText(`the fleet store ${before.store} cannot be reached or read`);
    await expect(page.getByTestId('notice')).toContainText('nothing was changed');
  } finally {
    await startFleetStore();
  }
  await page.goto('/node');
  await expect(page.getByTestId('fleet-unreachable')).toHaveCount(0, { timeout: STORE_WAIT_MS });
  await page.goto(`/services/${encodeURIComponent(FLEET_SERVICE)}`);
  await page.getByLabel(`Weight of ${endpoint}`).fill('3');
  await page.getByRole('button', { name: `Save weight of ${endpoint}` }).click();
  await expect(page.getByTestId('notice')).toContainText(/now has weight 3\. — converged 2 of 2 at revision \d+\b/);
  const after = await convergedFleet(2);
  expect(after.revision!).toBeGreaterThan(before.revision!);
  await page.context().close();
});

/*
 * The Node page of an agent that announces over BGP (issue 12's node view),
 * against node-lab.ts: an ECMP network whose node n1 runs its real agent and BIRD, peered
 * (IPv4 and IPv6, BFD) with the router's BIRD, one dsr backend, and a second
 * console on that agent. What the page shows is checked against node.status
 * (`sluice node status --json`) and against the router's own kernel table
 * (routerNextHops): drain withdraws the VIP there, resume brings it back. A
 * held connection through router and node is the open flow a drain waits
 * for, until 3 s pass without traffic (the router sends it nothing). The viewer sees the state
 * and no button; at phone width the page fits.
 */
import type { AgentInfo, NodeStatus } from '@sluice/api';
import { hold } from '@sluice/testbed/client-traffic';
import { routerNextHops } from '@sluice/testbed/ecmp';
import { type Browser, type Page, expect, test } from '@playwright/test';
import { collectConsoleErrors, saveScreenshot } from './support/console-page.ts';
import { type TestRole, USERS } from './support/lab-settings.ts';
import { NODE_CONSOLE_URL, type NodeLab, bringUpNodeLab, nodeSluice, nodeSluiceJson, tearDownNodeLab } from './support/node-lab.ts';

test.describe.configure({ mode: 'serial' });

/* BGP needs a few seconds to come up (connect delay, OPEN, first UPDATE); BFD a little more. */
const SESSION_WAIT_MS = 30_000;
/* A withdrawal or a new announcement reaches the router's kernel in well under a second; this bounds the wait. */
const ROUTE_WAIT_MS = 10_000;
/* A bound on waiting for CLI answers: one `sluice` call took up to 10 s on the 2 shared cores at load 20. */
const CLI_WAIT_MS = 45_000;

let lab: NodeLab;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  lab = await bringUpNodeLab();
});

test.afterAll(async () => {
  await tearDownNodeLab();
});

const network = () => lab.nodeAgent.network;
const status = () => nodeSluiceJson<NodeStatus & { agent: AgentInfo }>(network(), ['node', 'status']);
const via = () => lab.ecmp.nodes[0]!.uplink.ipv4;

async function expectRouterHops(hops: string[]): Promise<void> {
  await expect.poll(() => routerNextHops(lab.ecmp, lab.vip), { timeout: ROUTE_WAIT_MS, message: `router next hops for ${lab.vip}` }).toEqual(hops);
}

/** A page of the node's console, logged in as `role` through its login page. */
async function loggedIn(browser: Browser, role: Exclude<TestRole, 'admin'>, viewport = { width: 1440, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ baseURL: NODE_CONSOLE_URL, viewport });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('User name').fill(USERS[role].user);
  await page.getByLabel('Password').fill(USERS[role].password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('whoami')).toContainText(role);
  return page;
}

test('BGP on: BIRD, each peer Established with BFD Up and its route, the VIP announced, as node.status and the router have them', async ({ browser }) => {
  const page = await loggedIn(browser, 'operator');
  const errors = collectConsoleErrors(page);
  await page.goto('/node');
  const panel = page.getByTestId('bgp-panel');
  await expect(panel).toHaveAttribute('data-bgp', 'on');
  const prefix = `${lab.vip}/32`;
  await expect(page.locator(`[data-testid="vips"] tr[data-vip="${prefix}"] [data-testid="vip-announced"]`)).toHaveAttribute('data-announced', 'true', {
    timeout: SESSION_WAIT_MS,
  });
  await expectRouterHops([via()]);
  /* BFD comes up after BGP: both peers' sessions as the page shows them, once both are up. */
  const peers = page.locator('[data-testid="peers"] tbody tr');
  await expect(peers).toHaveCount(2);
  for (const row of await peers.all()) {
    await expect(row.getByTestId('peer-bgp')).toHaveAttribute('data-state', 'Established', { timeout: SESSION_WAIT_MS });
    await expect(row.getByTestId('peer-bfd')).toHaveAttribute('data-state', 'Up', { timeout: SESSION_WAIT_MS });
  }

  const s = await status();
  const bgp = s.bgp!;
  expect(bgp.running).toBe(true);
  await expect(page.getByTestId('bird-state')).toHaveText('BIRD RUNNING');
  await expect(page.getByTestId('speaker')).toContainText(`pid ${bgp.pid}`);
  await expect(page.getByTestId('speaker')).toContainText(`restarts ${bgp.restarts}`);
  await expect(page.getByTestId('announced')).toHaveText(bgp.announced.join(', '));
  expect(bgp.announced).toContain(prefix);
  await expect(page.getByTestId('withheld')).toContainText('each VIP is judged on its own');
  for (const peer of bgp.peers) {
    const row = page.locator(`[data-testid="peers"] tr[data-peer="${peer.address}"]`);
    await expect(row).toContainText(String(peer.as));
    await expect(row.getByTestId('peer-routes')).toHaveAttribute('data-routes', peer.routes.join(' '));
  }
  /* The IPv4 session carries the IPv4 VIP. */
  expect(bgp.peers.find((p) => p.address === lab.ecmp.nodes[0]!.router.ipv4)?.routes).toEqual([prefix]);
  await expect(page.getByTestId('node-state')).toHaveText('IN SERVICE');
  await expect(page.getByText('Backend drain (on a service page) only stops new connections to one backend')).toBeVisible();
  await saveScreenshot(page, 'node-bgp');
  expect(errors).toEqual([]);
  await page.context().close();
});

test('drain with no open flow: withdrawn from the router at once, the page says drained (0 open flows); resume announces again', async ({ browser }) => {
  const page = await loggedIn(browser, 'operator');
  const errors = collectConsoleErrors(page);
  await page.goto('/node');
  await expectRouterHops([via()]);
  expect((await status()).activeFlows).toBe(0);
  await page.getByLabel('Timeout (seconds)').fill('30');
  await page.getByRole('button', { name: 'Drain node' }).click();
  await expect(page.getByTestId('notice')).toContainText('Routes withdrawn (BIRD announces nothing)');
  const progress = page.getByTestId('node-drain-progress');
  await expect(progress).toHaveAttribute('data-phase', 'drained');
  await expect(progress).toContainText('Drained: no open flows; the node can be stopped.');
  await expectRouterHops([]);
  const drained = await status();
  expect(drained.draining).toBe(true);
  expect(drained.drainTimeoutMs).toBe(30_000);
  expect(drained.bgp!.announced).toEqual([]);
  await expect(page.locator(`[data-testid="vips"] tr[data-vip="${lab.vip}/32"]`)).toContainText(drained.bgp!.withheld!);

  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('node-state')).toHaveText('IN SERVICE');
  await expectRouterHops([via()]);
  expect((await status()).draining).toBe(false);
  const audit = await nodeSluiceJson<{ items: { action: string; actor: string }[] }>(network(), ['audit']);
  const mine = audit.items.filter((e) => e.actor === USERS.operator.user).map((e) => e.action);
  expect(mine.slice(0, 2)).toEqual(['node.resume', 'node.drain']);
  expect(errors).toEqual([]);
  await page.context().close();
});

test('drain with a held connection: withdrawn, the router sends the node nothing, so after 3 s without traffic the page says drained though the flow is open; resume', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const page = await loggedIn(browser, 'operator');
  const errors = collectConsoleErrors(page);
  await page.goto('/node');
  await expectRouterHops([via()]);
  /* Longer than the test may take on a loaded machine: the connection must stay open until the drain has timed out. */
  const held = await hold(lab.ecmp.client, lab.vip, lab.port, { seconds: 110, intervalMs: 100 });
  try {
    await held.exchanged(3);
    await expect
      .poll(async () => (await status()).activeFlows, { message: 'the node counts the held connection', timeout: CLI_WAIT_MS })
      .toBeGreaterThanOrEqual(1);
    await expect(page.getByTestId('open-flows')).toContainText(/In service: [1-9]\d* open flows/);
    /* Far beyond the 3 s without traffic that ends this drain: the router has no other node, so nothing reaches this one. */
    const timeoutS = 50;
    await page.getByLabel('Timeout (seconds)').fill(String(timeoutS));
    const drainedAt = Date.now();
    await page.getByRole('button', { name: 'Drain node' }).click();
    const progress = page.getByTestId('node-drain-progress');
    await expect(progress).toHaveAttribute('data-phase', 'draining');
    await expect(progress).toContainText(/Withdrawn; waiting for [1-9]\d* open flows or 3 s without traffic, [\d.]+ s left of the 50\.0 s timeout/);
    await expectRouterHops([]);
    await saveScreenshot(page, 'node-drain-progress');
    await expect(progress).toHaveAttribute('data-phase', 'quiet', { timeout: CLI_WAIT_MS });
    expect(Date.now() - drainedAt, 'not before 3 s without traffic').toBeGreaterThanOrEqual(3000);
    expect(Date.now() - drainedAt, 'long before the timeout').toBeLessThan(timeoutS * 1000);
    await expect(progress).toContainText(/Drained: nothing forwarded for 3 s, the routers send this node nothing; its [1-9]\d* open flows went on/);
    expect(Number(await progress.getAttribute('data-open-flows'))).toBe((await status()).activeFlows);
    await saveScreenshot(page, 'node-drain-quiet');
  } finally {
    await held.stop().catch(() => undefined);
  }
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('node-state')).toHaveText('IN SERVICE');
  await expectRouterHops([via()]);
  expect(errors).toEqual([]);
  await page.context().close();
});

test('the viewer sees the node state, drained or not, and no drain, resume or timeout control', async ({ browser }) => {
  const page = await loggedIn(browser, 'viewer');
  const errors = collectConsoleErrors(page);
  await page.goto('/node');
  await expect(page.getByTestId('node-state')).toHaveText('IN SERVICE');
  await expect(page.getByRole('button', { name: /Drain|Resume/ })).toHaveCount(0);
  await expect(page.getByLabel('Timeout (seconds)')).toHaveCount(0);
  await nodeSluice(network(), ['node', 'drain', '--timeout', '0s']);
  try {
    await expect(page.getByTestId('node-state')).toHaveText('DRAINING');
    await expect(page.getByTestId('node-drain-progress')).toBeVisible();
    await expect(page.getByRole('button', { name: /Drain|Resume/ })).toHaveCount(0);
  } finally {
    await nodeSluice(network(), ['node', 'resume']);
  }
  await expect(page.getByTestId('node-state')).toHaveText('IN SERVICE');
  expect(errors).toEqual([]);
  await page.context().close();
});

test('phone 390: the node page with BGP fits the width; peers and VIPs as cards, the drain control on screen', async ({ browser }) => {
  const page = await loggedIn(browser, 'operator', { width: 390, height: 844 });
  const errors = collectConsoleErrors(page);
  await page.goto('/node');
  await expect(page.locator('[data-testid="peers"] tbody tr').first()).toBeVisible();
  await expect(page.locator(`[data-testid="vips"] tr[data-vip="${lab.vip}/32"] [data-testid="vip-announced"]`)).toHaveAttribute('data-announced', 'true', {
    timeout: SESSION_WAIT_MS,
  });
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(scroll, `page width ${scroll} px within the ${client} px viewport`).toBeLessThanOrEqual(client);
  for (const locator of [
    page.locator('[data-testid="peers"] tbody tr').first().getByTestId('peer-bgp'),
    page.locator('[data-testid="peers"] tbody tr').first().getByTestId('peer-routes'),
    page.getByRole('button', { name: 'Drain node' }),
    page.getByLabel('Timeout (seconds)'),
  ]) {
    await expect(locator).toBeVisible();
    const box = (await locator.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, `${locator} ends on screen`).toBeLessThanOrEqual(390);
  }
  /* The drain button is not covered by anything: a real click would reach it (trial: nothing is sent). */
  await page.getByRole('button', { name: 'Drain node' }).click({ trial: true });
  await saveScreenshot(page, 'phone-node-bgp');
  expect(errors).toEqual([]);
  await page.context().close();
});

/*
 * The Node page against the console suite's own agent, which runs without
 * --bgp-config: the node panel shows the facts of agent.info (checked against
 * `sluice node status --json`, the object file's own sha256 and the kernel's
 * `ip link` view of each interface), says that BGP is off and offers no
 * drain; at phone width it stays on screen. The BGP half (peers, drain,
 * resume, the viewer) is node-bgp.spec.ts, against an agent that announces.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AgentInfo, NodeStatus } from '@sluice/api';
import { type Page, expect, test } from '@playwright/test';
import { collectConsoleErrors, saveScreenshot } from './support/console-page.ts';
import { namespace, storageStateOf } from './support/lab-settings.ts';
import { mustRun } from './support/run-command.ts';
import { sluice, sluiceJson } from './support/sluice-cli.ts';

/* IFLA_XDP_ATTACHED: how `ip -j link` reports the mode a program runs in. */
const KERNEL_XDP_MODES: Record<number, string> = { 1: 'native', 2: 'skb' };

async function kernelXdpMode(ifname: string): Promise<{ mode: string; programId: number } | null> {
  const [link] = JSON.parse(await mustRun('ip', ['-n', namespace('lb'), '-j', 'link', 'show', ifname], { timeoutMs: 10_000 })) as {
    xdp?: { mode: number; prog?: { id: number } };
  }[];
  if (!link?.xdp?.prog) return null;
  return { mode: KERNEL_XDP_MODES[link.xdp.mode] ?? `mode ${link.xdp.mode}`, programId: link.xdp.prog.id };
}

/** The page's width fits the viewport: nothing pushes it sideways. */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(scroll, `page width ${scroll} px within the ${client} px viewport`).toBeLessThanOrEqual(client);
}

test.describe('admin', () => {
  test.use({ storageState: storageStateOf('admin') });

  test('the node panel shows what agent.info says; the build id is the object file sha256; each interface in the mode the kernel reports', async ({ page }) => {
    const errors = collectConsoleErrors(page);
    const cli = await sluiceJson<NodeStatus & { agent: AgentInfo }>(['node', 'status']);
    const info = cli.agent;
    const started = performance.now();
    await page.goto('/node');
    const panel = page.getByTestId('agent-panel');
    await expect(panel.getByTestId('build-id')).toHaveText(info.dataplane.buildId.slice(0, 12));
    process.stdout.write(`TIMING node page, agent panel shown: ${(performance.now() - started).toFixed(0)} ms\n`);

    /* Independently: the object the agent loaded, hashed here. */
    const sha = createHash('sha256').update(readFileSync(info.dataplane.objectPath)).digest('hex');
    expect(info.dataplane.buildId).toBe(sha);
    await expect(panel.getByTestId('build-id')).toHaveAttribute('title', sha);
    await expect(panel.getByTestId('program-id')).toHaveText(String(info.dataplane.programId));
    await expect(panel.getByTestId('agent-version')).toHaveText(info.version);
    await expect(panel.getByTestId('pin-dir')).toHaveText(info.pinDir);
    await expect(panel.getByTestId('adopted-maps')).toHaveText(info.adoptedMaps === 0 ? /none: a fresh start/ : new RegExp(`^${info.adoptedMaps} pinned maps`));
    await expect(panel.getByTestId('agent-uptime')).toContainText(`pid ${info.pid}`);
    await expect(panel).toContainText(`of ${info.flowTable.capacity.toLocaleString('en-US')} entries`);

    expect(info.interfaces.length).toBeGreaterThan(0);
    for (const name of info.interfaces) {
      const kernel = await kernelXdpMode(name);
      expect(kernel, `${name} runs an XDP program`).not.toBeNull();
      expect(kernel!.programId, `${name} runs the agent's program`).toBe(info.dataplane.programId);
      const item = panel.locator(`[data-interface="${name}"]`);
      await expect(item).toHaveAttribute('data-xdp-mode', kernel!.mode);
      await expect(item).toContainText(kernel!.mode === 'native' ? 'native XDP' : 'skb (generic) XDP');
    }

    /* Without --bgp-config: said so, and no drain to offer. */
    expect(cli.bgp).toBeNull();
    const bgp = page.getByTestId('bgp-panel');
    await expect(bgp).toHaveAttribute('data-bgp', 'off');
    await expect(bgp).toContainText('runs without --bgp-config; it announces nothing');
    await expect(page.getByTestId('node-drain')).toHaveCount(0);
    await expect(page.getByRole('button', { name: /Drain|Resume/ })).toHaveCount(0);
    /* Without --store: no fleet; the panel says the node keeps its own desired state. */
    expect(cli.fleet).toBeNull();
    const fleet = page.getByTestId('fleet-panel');
    await expect(fleet).toHaveAttribute('data-state', 'off');
    await expect(fleet).toContainText('This node keeps its own desired state (SQLite)');
    await saveScreenshot(page, 'node-bgp-off');
    expect(errors).toEqual([]);
  });

  test('the flow table count follows the agent: agent.info and the panel agree once the GC has counted', async ({ page }) => {
    await page.goto('/node');
    const shown = page.getByTestId('flow-table');
    await expect(shown).toBeVisible({ timeout: 20_000 });
    /* The GC counts every few seconds; both read its last count, so they match once neither changes between reads. */
    await expect(async () => {
      const before = (await sluiceJson<{ agent: AgentInfo }>(['node', 'status'])).agent.flowTable;
      const text = await shown.textContent();
      const after = (await sluiceJson<{ agent: AgentInfo }>(['node', 'status'])).agent.flowTable;
      expect(before.tracked).toBe(after.tracked);
      expect(text).toBe(
        `${before.tracked!.toLocaleString('en-US')} of ${before.capacity.toLocaleString('en-US')} entries (${expectedPercent(before.tracked!, before.capacity)} full)`,
      );
    }).toPass({ timeout: 20_000 });
  });

  test('the Active/standby panel: no role until keepalived reports one, then the role the agent keeps; the check as node.check answers it', async ({
    page,
  }) => {
    const errors = collectConsoleErrors(page);
    await page.goto('/node');
    const panel = page.getByTestId('vrrp-panel');
    const before = await sluiceJson<NodeStatus>(['node', 'status']);
    if (before.vrrp === null) {
      await expect(panel.getByTestId('vrrp-role')).toHaveText('NO ROLE REPORTED');
      await expect(panel).toContainText('Running an active/standby pair');
    }
    /* `sluice node role`, as a notify hook calls it (for a VRRP daemon without a notify FIFO) on a node that becomes backup, then master. */
    for (const role of ['backup', 'master'] as const) {
      await sluice(['node', 'role', role, '--instance', 'sluice_vi']);
      const { vrrp } = await sluiceJson<NodeStatus>(['node', 'status']);
      expect(vrrp?.role).toBe(role);
      await expect(panel).toHaveAttribute('data-role', role);
      await expect(panel.getByTestId('vrrp-role')).toHaveText(role.toUpperCase());
      await expect(panel).toContainText('sluice_vi');
    }
    /* The suite's agent is attached on its interfaces, ready and reconciled: the check passes, as the CLI says. */
    const check = await sluiceJson<{ ok: boolean }>(['node', 'check']);
    await expect(panel.getByTestId('vrrp-check')).toHaveAttribute('data-ok', String(check.ok));
    await expect(panel.getByTestId('vrrp-check')).toContainText(check.ok ? 'PASSES' : 'FAILS');
    await saveScreenshot(page, 'node-vrrp');
    expect(errors).toEqual([]);
  });
});

/* client/format.ts percent(): one decimal below 10 %, none above. */
function expectedPercent(tracked: number, capacity: number): string {
  const fraction = tracked / capacity;
  return `${(fraction * 100).toFixed(fraction < 0.1 && fraction > 0 ? 1 : 0)} %`;
}

test.describe('phone', () => {
  test.use({ storageState: storageStateOf('viewer'), viewport: { width: 390, height: 844 } });

  test('phone 390: the node panel fits the width, nothing overlaps the facts', async ({ page }) => {
    const errors = collectConsoleErrors(page);
    await page.goto('/node');
    const panel = page.getByTestId('agent-panel');
    await expect(panel.getByTestId('build-id')).toBeVisible();
    await expectNoSidewaysScroll(page);
    for (const id of ['build-id', 'pin-dir', 'agent-version', 'interfaces']) {
      const box = (await panel.getByTestId(id).boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, `${id} ends on screen`).toBeLessThanOrEqual(390);
    }
    await saveScreenshot(page, 'phone-node-bgp-off');
    expect(errors).toEqual([]);
  });
});

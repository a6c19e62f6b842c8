/*
 * Forwarding modes with real traffic: a service in each of dsr, ipip and gue
 * made in the console, its backends added there, HTTP from the lab's client
 * reaching every backend, and the page's per-backend packets and connections
 * checked against the agent's own counters (stats.totals). Then the backend
 * hosts' own check (`sluice backend-host check --json` in each backend's
 * namespace, handed over with `sluice backend-host report -`) on the page:
 * ok, a problem caused on purpose (arp_ignore 0) with its fix, and the
 * command for a host that never reported.
 */
import type { StatsTotals } from '@sluice/api';
import { type Page, expect, test } from '@playwright/test';
import { backendRow, collectConsoleErrors, expectEligible, saveScreenshot } from './support/console-page.ts';
import { backendHost, onBackend } from './support/lab-backend-hosts.ts';
import { BACKENDS, HTTP_PORT, type LabMode, MODE_VIPS, backendAddress, storageStateOf } from './support/lab-settings.ts';
import { resetServices } from './support/lab.ts';
import { sluice, sluiceJson } from './support/sluice-cli.ts';
import { httpTo } from './support/traffic.ts';

test.use({ storageState: storageStateOf('admin') });

const LABEL: Record<LabMode, string> = { dsr: 'DSR', ipip: 'IPIP', gue: 'GUE' };
const REQUESTS = 60;
const nameOf = (mode: LabMode) => `${MODE_VIPS[mode]}:${HTTP_PORT}/tcp`;
const endpoint = (i: number) => `${backendAddress(i)}:${HTTP_PORT}`;
const pagePath = (mode: LabMode) => `/services/${encodeURIComponent(nameOf(mode))}`;

async function createInConsole(page: Page, mode: LabMode): Promise<void> {
  await page.goto('/services');
  await page.getByRole('button', { name: 'Create service' }).click();
  await page.getByLabel('VIP address').fill(MODE_VIPS[mode]);
  await page.getByLabel('Port').fill(String(HTTP_PORT));
  await page.getByRole('combobox', { name: /^Forwarding mode/ }).selectOption(mode);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByTestId('notice')).toContainText(`Created ${nameOf(mode)}`);
}

async function addBackendInConsole(page: Page, i: number): Promise<void> {
  await page.getByLabel('Address').fill(backendAddress(i));
  await page.getByLabel('Port').fill(String(HTTP_PORT));
  await page.getByRole('button', { name: 'Add backend' }).click();
  await expect(backendRow(page, endpoint(i))).toBeVisible();
}

async function agentTotals(mode: LabMode) {
  const totals = await sluiceJson<StatsTotals>(['stats']);
  return {
    service: totals.services.find((s) => s.service === nameOf(mode))!,
    backend: (i: number) => totals.backends.find((b) => b.service === nameOf(mode) && b.endpoint === endpoint(i))!,
  };
}

const shownValue = async (page: Page, i: number, column: 'backend-packets' | 'backend-connections') =>
  Number(await backendRow(page, endpoint(i)).getByTestId(column).getAttribute('data-value'));

for (const mode of ['dsr', 'ipip', 'gue'] as const) {
  test(`${mode}: made in the console, real traffic reaches every backend; the page's packets and connections per backend are the agent's`, async ({ page }) => {
    const errors = collectConsoleErrors(page);
    await resetServices();
    await createInConsole(page, mode);
    await page.goto(pagePath(mode));
    await expect(page.getByTestId('current-mode')).toHaveText(LABEL[mode]);
    const prepare = page.getByTestId('prepare-backend');
    await expect(prepare).toContainText(`Prepare a backend for ${LABEL[mode]}`);
    await expect(prepare).toContainText(`ip addr add ${MODE_VIPS[mode]}/32 dev lo`);
    if (mode === 'dsr') await expect(prepare).toContainText('arp_ignore=1');
    else
      await expect(prepare).toContainText(`sluice backend-host attach --interface eth0 --address BACKEND_ADDRESS${mode === 'gue' ? ' --gue-port 6080' : ''}`);
    for (let i = 1; i <= BACKENDS; i++) await addBackendInConsole(page, i);
    /* Eligible means the health check passed through the data path: the probe went the mode's way to the backend. */
    for (let i = 1; i <= BACKENDS; i++) await expectEligible(page, endpoint(i));

    const report = await httpTo(MODE_VIPS[mode], HTTP_PORT, REQUESTS);
    expect(report.failed, `failures: ${JSON.stringify(report.failures)}`).toBe(0);
    expect(report.succeeded).toBe(REQUESTS);
    const before = await agentTotals(mode);
    for (let i = 1; i <= BACKENDS; i++) {
      const answered = report.byBackend[`be${i}`] ?? 0;
      expect(answered, `be${i} answered (${JSON.stringify(report.byBackend)})`).toBeGreaterThan(0);
      /* Every request was one new connection the balancer steered (health probes leave by TC, not through XDP's counters). */
      expect(before.backend(i).newFlows).toBe(answered);
      expect(before.backend(i).packets).toBeGreaterThanOrEqual(answered * 3);
      for (const column of ['backend-packets', 'backend-connections'] as const) {
        const agentValue = column === 'backend-packets' ? before.backend(i).packets : before.backend(i).newFlows;
        await expect.poll(() => shownValue(page, i, column), { message: `be${i} ${column} on the page` }).toBeGreaterThanOrEqual(agentValue);
      }
    }
    /* The page never shows more than the agent has counted. */
    const after = await agentTotals(mode);
    for (let i = 1; i <= BACKENDS; i++) {
      expect(await shownValue(page, i, 'backend-packets')).toBeLessThanOrEqual(after.backend(i).packets);
      expect(await shownValue(page, i, 'backend-connections')).toBeLessThanOrEqual(after.backend(i).newFlows);
    }
    /* The replies went from the backends to the client: the balancer's XDP program saw none of them. */
    expect(after.service.replyPackets, 'reply packets through the balancer').toBe(0);
    expect(after.service.packets).toBeGreaterThanOrEqual(REQUESTS * 3);
    await saveScreenshot(page, `service-mode-${mode}-traffic`);
    await resetServices();
    expect(errors).toEqual([]);
  });
}

test('backend-host check reported from each backend: ok, a problem caused on purpose with its fix, and the command for a host not reported', async ({
  page,
}) => {
  const errors = collectConsoleErrors(page);
  const mode: LabMode = 'dsr';
  await resetServices();
  await sluice(['service', 'add', nameOf(mode), '--mode', mode]);
  for (let i = 1; i <= BACKENDS; i++) await sluice(['backend', 'add', nameOf(mode), endpoint(i)]);
  await page.goto(pagePath(mode));
  /* The lab starts with an empty store: no host has reported yet. be2 stays that way. */
  const cell = (i: number) => backendRow(page, endpoint(i)).getByTestId('host-check');

  try {
    await onBackend(3, 'sysctl -qw net.ipv4.conf.all.arp_ignore=0');
    const checks: Record<number, { checks: { name: string; ok: boolean; fix?: string }[] }> = {};
    for (const i of [1, 3]) {
      const run = await backendHost(i, ['check', '--json', '--vip', MODE_VIPS[mode]]);
      expect(run.code, `check on be${i}: ${run.stderr}`).toBe(i === 3 ? 1 : 0);
      checks[i] = JSON.parse(run.stdout);
      await sluice(['backend-host', 'report', '-'], run.stdout);
    }
    const problem = checks[3]!.checks.find((c) => !c.ok)!;
    expect(checks[3]!.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([problem.name]);
    expect(problem.name).toMatch(/^arp_ignore/);

    await expect(cell(1)).toHaveText(/^host check: ok · /);
    await expect(cell(3)).toContainText('1 problem');
    await cell(3).getByText('1 problem').click();
    await expect(cell(3)).toContainText(problem.name);
    await expect(cell(3)).toContainText(`fix: ${problem.fix}`);
    await expect(cell(2)).toContainText('not reported');
    await cell(2).getByText('not reported').click();
    await expect(cell(2)).toContainText(
      `ssh ${backendAddress(2)} sluice backend-host check --json --vip ${MODE_VIPS[mode]} --address ${backendAddress(2)} --dsr-only | sluice backend-host report -`,
    );
    await saveScreenshot(page, 'backend-host-check');
  } finally {
    await onBackend(3, 'sysctl -qw net.ipv4.conf.all.arp_ignore=1');
  }
  /* Fixed and checked again, be3 is ok too. */
  const again = await backendHost(3, ['check', '--json', '--vip', MODE_VIPS[mode]]);
  expect(again.code, again.stderr).toBe(0);
  await sluice(['backend-host', 'report', '-'], again.stdout);
  await expect(cell(3)).toHaveText(/^host check: ok · /);
  await resetServices();
  expect(errors).toEqual([]);
});

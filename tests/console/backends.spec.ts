/*
 * Backend operations in the UI, each proven by the traffic itself: which
 * backend answered how many new connections from the client namespace.
 */
import { backendRow, collectConsoleErrors, expectEligible, saveScreenshot } from './support/console-page.ts';
import { backendAddress, endpointOf, serviceName, servicePagePath, storageStateOf } from './support/lab-settings.ts';
import { sluiceJson } from './support/sluice-cli.ts';
import { resetServices } from './support/lab.ts';
import { expect, test } from '@playwright/test';
import { holdConnection, httpRequests, lineConnections } from './support/traffic.ts';

test.use({ storageState: storageStateOf('operator') });
test.describe.configure({ mode: 'serial' });

let errors: string[] = [];
test.beforeAll(async () => resetServices());
test.beforeEach(({ page }) => {
  errors = collectConsoleErrors(page);
});
test.afterEach(() => expect(errors, 'browser console errors').toEqual([]));

test('adding a backend in the UI makes it receive new connections', async ({ page }) => {
  const before = await httpRequests('web', 30);
  expect(before.succeeded).toBe(30);
  expect(before.byBackend.be3 ?? 0, 'be3 is not a backend yet').toBe(0);

  await page.goto(servicePagePath('web'));
  await page.getByLabel('Address').fill(backendAddress(3));
  await page.getByLabel('Port').fill('8080');
  await page.getByRole('button', { name: 'Add backend' }).click();
  await expect(page.getByTestId('notice')).toContainText(`Added ${endpointOf('web', 3)}`);
  await expectEligible(page, endpointOf('web', 3));

  const after = await httpRequests('web', 30);
  expect(after.succeeded).toBe(30);
  expect(after.byBackend.be3 ?? 0, `be3 answers new connections (${JSON.stringify(after.byBackend)})`).toBeGreaterThan(0);
  await saveScreenshot(page, 'service-detail');
});

test('reweighting in the UI changes the distribution', async ({ page }) => {
  await page.goto(servicePagePath('web'));
  for (const i of [1, 2, 3]) await expectEligible(page, endpointOf('web', i));
  const even = await httpRequests('web', 60);
  expect(even.byBackend).toEqual({ be1: 20, be2: 20, be3: 20 });

  await page.getByLabel(`Weight of ${endpointOf('web', 1)}`).fill('4');
  await page.getByRole('button', { name: `Save weight of ${endpointOf('web', 1)}` }).click();
  await expect(page.getByTestId('notice')).toContainText('now has weight 4');

  /* Weights 4:1:1 over 60 new connections: 40, 10, 10 with the smooth weighted sequence. */
  const weighted = await httpRequests('web', 60);
  expect(weighted.succeeded).toBe(60);
  expect(weighted.byBackend.be1, JSON.stringify(weighted.byBackend)).toBeGreaterThanOrEqual(36);
  expect(weighted.byBackend.be2 ?? 0).toBeLessThanOrEqual(12);
  /* The page's distribution reflects it too. */
  await expect(backendRow(page, endpointOf('web', 1)).getByTestId('share')).not.toHaveText('—', { timeout: 15_000 });
  await saveScreenshot(page, 'reweight');
});

test('draining in the UI stops new connections while a held one continues, then shows zero', async ({ page }) => {
  const hold = await holdConnection('line', { seconds: 90 });
  const drained = Number(hold.backend.replace('be', ''));
  const endpoint = endpointOf('line', drained);
  try {
    await page.goto(servicePagePath('line'));
    const row = backendRow(page, endpoint);
    await expect(row.getByTestId('active-flows')).toHaveText('1', { timeout: 15_000 });

    await row.getByRole('button', { name: `Drain ${endpoint}` }).click();
    /* No timeout: the dialog's field left empty, the held connection may last as long as it likes. */
    await page.getByRole('dialog').getByRole('button', { name: 'Drain', exact: true }).click();
    await expect(row).toHaveAttribute('data-state', 'drain');
    await expect(row.getByTestId('admin-state')).toHaveText('DRAIN');

    const fresh = await lineConnections('line', 30);
    expect(fresh.succeeded).toBe(30);
    expect(fresh.byBackend[hold.backend] ?? 0, `no new connection to the draining ${hold.backend} (${JSON.stringify(fresh.byBackend)})`).toBe(0);
    expect(hold.alive(), 'the held connection is still open').toBe(true);
    await expect(row.getByTestId('drain-status')).toHaveText('1 left');
    await saveScreenshot(page, 'drain-in-progress');
  } finally {
    const report = await hold.stop();
    expect(report.broken, `held connection broken: ${report.brokenReason}`).toBe(false);
    expect(report.received).toBeGreaterThan(0);
  }
  const row = backendRow(page, endpoint);
  await expect(row.getByTestId('active-flows')).toHaveText('0', { timeout: 20_000 });
  await expect(row.getByTestId('drain-status')).toHaveText('drained');
  await saveScreenshot(page, 'drain-done');
});

test('drain with a timeout: the page says how drain and maintenance differ; the held connection is cut when the timeout passes', async ({ page }) => {
  const hold = await holdConnection('line', { seconds: 90 });
  const endpoint = endpointOf('line', Number(hold.backend.replace('be', '')));
  let report: Awaited<ReturnType<typeof hold.stop>> | undefined;
  try {
    await page.goto(servicePagePath('line'));
    await expect(page.getByTestId('drain-vs-maintenance')).toContainText('Maintenance: no new connections either');
    const row = backendRow(page, endpoint);
    await expect(row.getByTestId('active-flows')).toHaveText('1', { timeout: 15_000 });
    await row.getByRole('button', { name: `Drain ${endpoint}` }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('Drain: no new connections, open ones finish');
    const timeout = dialog.getByLabel(/Cut the connections still open after/);
    await timeout.fill('0');
    await expect(dialog.getByRole('button', { name: 'Drain', exact: true })).toBeDisabled();
    /* Long enough for the page to show the countdown before the cut, on a loaded machine too. */
    await timeout.fill('10');
    const clickedAt = Date.now();
    await dialog.getByRole('button', { name: 'Drain', exact: true }).click();
    await expect(page.getByTestId('notice')).toContainText(`${endpoint} is now draining`);
    const answeredAt = Date.now();
    await expect(page.getByTestId('notice')).toContainText('cut at');
    await expect(row.getByTestId('drain-status')).toContainText(/1 left, cut in \d/);
    await saveScreenshot(page, 'drain-timeout');
    /* The agent's own record: the deadline is 10 s after it took the request, which lies between the click and the answer. */
    const listed = await sluiceJson<{ endpoint: string; drain: { deadline: number | null } | null }[]>(['backend', 'ls', serviceName('line')]);
    const deadline = listed.find((b) => b.endpoint === endpoint)?.drain?.deadline;
    expect(deadline, 'the agent holds a drain deadline').toBeGreaterThanOrEqual(clickedAt + 10_000);
    expect(deadline!).toBeLessThanOrEqual(answeredAt + 10_000);
    /* The client ends by itself: its connection is cut once the deadline passes. */
    report = await hold.ended(30_000);
    expect(Date.now(), 'cut no earlier than the deadline').toBeGreaterThanOrEqual(deadline!);
    await expect(row.getByTestId('active-flows')).toHaveText('0', { timeout: 30_000 });
  } finally {
    report ??= await hold.stop();
  }
  expect(report.broken, 'the held connection was cut by the drain timeout').toBe(true);
  await page.getByRole('button', { name: `Ready ${endpoint}` }).click();
  await expect(backendRow(page, endpoint)).toHaveAttribute('data-state', 'ready');
});

test('bulk actions change every selected backend at once', async ({ page }) => {
  await page.goto(servicePagePath('line'));
  await page.getByLabel(`Select ${endpointOf('line', 2)}`).check();
  await page.getByLabel(`Select ${endpointOf('line', 3)}`).check();
  const toolbar = page.getByRole('toolbar', { name: 'Bulk actions on selected backends' });
  await toolbar.getByRole('button', { name: 'Maintenance' }).click();
  await expect(page.getByTestId('notice')).toContainText('2 backends are now in maintenance');
  await expect(backendRow(page, endpointOf('line', 2))).toHaveAttribute('data-state', 'maint');
  await expect(backendRow(page, endpointOf('line', 3))).toHaveAttribute('data-state', 'maint');
  await page.getByLabel('Select all backends').check();
  await toolbar.getByRole('button', { name: 'Ready' }).click();
  for (const i of [1, 2, 3]) await expect(backendRow(page, endpointOf('line', i))).toHaveAttribute('data-state', 'ready');
});

test('removing asks for confirmation, says what it cuts as the dialog did, and takes the backend out of rotation', async ({ page }) => {
  await page.goto(servicePagePath('web'));
  const endpoint = endpointOf('web', 3);
  /* Finished HTTP connections leave closed entries on be3: no open connection, nothing to cut (the notice once said they were). */
  const before = await httpRequests('web', 30);
  expect(before.byBackend.be3 ?? 0, `be3 answered some (${JSON.stringify(before.byBackend)})`).toBeGreaterThan(0);
  /*
   * The client has its answers before the last FINs cross the balancer: a
   * connection closing is still open for a moment (CI saw "1 active" under
   * load). The dialog must say what is true when it opens, so it opens once
   * the page shows no open connection on be3.
   */
  await expect(backendRow(page, endpoint).getByTestId('active-flows')).toHaveText('0', { timeout: 15_000 });
  await backendRow(page, endpoint)
    .getByRole('button', { name: `Remove ${endpoint}` })
    .click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(`Remove ${endpoint}?`);
  await expect(dialog).toContainText('No open connection uses it; nothing is cut.');
  await saveScreenshot(page, 'remove-confirm');
  await dialog.getByRole('button', { name: /^Remove/ }).click();
  await expect(page.getByTestId('notice')).toHaveText(
    new RegExp(`^Removed ${endpoint.replaceAll('.', '\\.')}; nothing was cut( \\(\\d+ closed connection entr(y|ies) cleared\\))?\\.`),
  );
  /* The audit log says the same: nothing cut, the closed entries apart. */
  const audit = await sluiceJson<{ items: { action: string; target: string; after: { connectionsCut: number; closedEntriesRemoved: number } }[] }>([
    'audit',
    '--action',
    'backend.remove.flowsEnded',
    '--limit',
    '1',
  ]);
  expect(audit.items[0]).toMatchObject({ target: `${serviceName('web')} ${endpoint}`, after: { connectionsCut: 0 } });
  await expect(backendRow(page, endpoint)).toHaveCount(0);
  const after = await httpRequests('web', 20);
  expect(after.byBackend.be3 ?? 0).toBe(0);
});

/*
 * The connection table's view of the whole flow table: how many flows it
 * tracks of how many it can hold, and how many are open, closing or closed,
 * as the agent counts them; "Hide closed" leaves out the entries that only
 * wait out their timeout; the filter lives in the URL, so a reload or a
 * shared link opens the same view. Real connections from the lab's client.
 */
import type { ConnectionPage } from '@sluice/api';
import { type Page, expect, test } from '@playwright/test';
import { collectConsoleErrors, saveScreenshot } from './support/console-page.ts';
import { CLIENT_SOURCES, storageStateOf } from './support/lab-settings.ts';
import { sluiceJson } from './support/sluice-cli.ts';
import { holdConnection, httpRequests } from './support/traffic.ts';

/* Each an HTTP request on its own connection: closed entries for the 10 s closed timeout. */
const SHORT_CONNECTIONS = 5;

test.use({ storageState: storageStateOf('viewer') });

const rowsOf = (page: Page, source: string) => page.locator(`[data-testid="connections-table"] tbody tr[data-client="${source}"]`);
const shown = async (page: Page, id: string) => Number(await page.getByTestId(id).getAttribute('data-value'));

/* Each size from its own client address: the other's closed flows stay for the 10 s closed timeout. */
for (const size of [
  { name: 'desktop', viewport: { width: 1280, height: 900 }, source: CLIENT_SOURCES.flowStates },
  { name: 'phone', viewport: { width: 390, height: 844 }, source: CLIENT_SOURCES.flowStatesPhone },
]) {
  const SOURCE = size.source;
  test.describe(size.name, () => {
    test.use({ viewport: size.viewport });

    test(`${size.name}: tracked, capacity and open/closing/closed are the agent's; hide closed leaves out closed flows; the filter is in the URL`, async ({
      page,
    }) => {
      const errors = collectConsoleErrors(page);
      const held = await holdConnection('line', { seconds: 60, source: SOURCE });
      try {
        /* A link with the filter in it opens the filtered view (TCP: the connections spec sends UDP from this address too). */
        await page.goto(`/connections?client=${SOURCE}&protocol=tcp`);
        await expect(page.getByLabel('Client address')).toHaveValue(SOURCE);
        await expect(page.getByLabel('Protocol')).toHaveValue('tcp');
        await expect(rowsOf(page, SOURCE).filter({ hasText: 'established' })).toHaveCount(1);

        const sent = await httpRequests('web', SHORT_CONNECTIONS, { source: SOURCE });
        expect(sent.succeeded, 'every request answered').toBe(SHORT_CONNECTIONS);
        await page.getByRole('button', { name: 'Refresh' }).click();
        await expect(rowsOf(page, SOURCE).filter({ hasText: 'closed' })).toHaveCount(SHORT_CONNECTIONS);
        await expect(rowsOf(page, SOURCE)).toHaveCount(SHORT_CONNECTIONS + 1);

        /* The summary is the whole table as the agent counts it: the same as the CLI's, taken from a snapshot at the same moment (flows of other specs come and go). */
        await expect
          .poll(
            async () => {
              await page.getByRole('button', { name: 'Refresh' }).click();
              await expect(page.getByRole('button', { name: 'Refresh' })).toBeEnabled();
              const onPage = [
                await shown(page, 'flows-tracked'),
                await shown(page, 'flows-open'),
                await shown(page, 'flows-closing'),
                await shown(page, 'flows-closed'),
              ];
              const { table } = await sluiceJson<ConnectionPage>(['conns', '--limit', '1']);
              const s = table.byState!;
              const agent = [table.tracked, s.none + s['syn-sent'] + s.established, s['fin-wait'], s.closed];
              return JSON.stringify(onPage) === JSON.stringify(agent) ? 'the same' : `page ${onPage} agent ${agent}`;
            },
            { message: 'tracked, open, closing and closed on the page are the agent’s', timeout: 30_000 },
          )
          .toBe('the same');
        const agent = await sluiceJson<ConnectionPage>(['conns', '--limit', '1']);
        await expect(page.getByTestId('flow-table-summary')).toContainText(`of ${agent.table.capacity.toLocaleString('en-US')}`);

        await page.getByLabel('Hide closed').check();
        await page.getByRole('button', { name: 'Apply filters' }).click();
        await expect(page).toHaveURL(/[?&]hide-closed=1/);
        await expect(rowsOf(page, SOURCE)).toHaveCount(1);
        await expect(rowsOf(page, SOURCE).first()).toContainText('established');
        /* The closed flows were there while they were hidden: the same page's summary counts them. */
        expect(await shown(page, 'flows-closed'), 'closed flows in the table while hidden').toBeGreaterThanOrEqual(SHORT_CONNECTIONS);
        await saveScreenshot(page, `${size.name === 'phone' ? 'phone-' : ''}connections-flow-table`);

        /* The agent leaves them out the same way. */
        const hidden = await sluiceJson<ConnectionPage>(['conns', '--client', SOURCE, '--protocol', 'tcp', '--hide-closed']);
        expect(hidden.items.map((f) => f.state)).toEqual(['established']);

        await page.reload();
        await expect(page.getByLabel('Hide closed')).toBeChecked();
        await expect(page.getByLabel('Client address')).toHaveValue(SOURCE);
        await expect(page).toHaveURL(/[?&]protocol=tcp/);
        await expect(rowsOf(page, SOURCE)).toHaveCount(1);
      } finally {
        await held.stop();
      }
      expect(errors).toEqual([]);
    });
  });
}

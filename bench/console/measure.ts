/*
 * The console's timings, in Chromium against the real agent: the overview's
 * first load (navigation until every part of it shows data, the first live
 * sample included), the connections screen's load and its "Next page" (click
 * until the next 100 rows are in the table), and the idle agent with an
 * overview open (its live-stats subscription and polls running). Times are
 * taken in the page (performance.now(), whose origin is the navigation's
 * start), so the bench's CDP round trips are not in them.
 */
import type { Browser, Page } from './playwright.js';
import type { BenchRecord } from '../record.js';
import { notMeasured } from '../record.js';
import { median, percentile, round, spread } from '../stats.js';
import {
  closeBrowser,
  consoleAvailability,
  consoleBuildSeconds,
  launchBrowser,
  logIn,
  startConsoleServer,
  stopConsoleServer,
  withDeadline,
  type ConsoleServer,
} from './server.js';

const WAIT_MS = 20_000;

export const CONSOLE_FIGURES = {
  firstLoad: 'control-plane/console/first-load',
  connectionsLoad: 'control-plane/console/connections-screen-load/1M-flows',
  nextPage: 'control-plane/console/connection-table-page/1M-flows',
} as const;

const OVERVIEW_PARTS = ['heading', 'services', 'health', 'drops', 'live sample'] as const;
type OverviewTimes = { shownMs: number; parts: Record<(typeof OVERVIEW_PARTS)[number], number> };

/**
 * The overview shows its data: the first live sample, the services table,
 * drops and health, no loading placeholder left. Also when each part first
 * appeared, to tell which one the load waits for.
 */
async function overviewShown(page: Page): Promise<OverviewTimes> {
  const handle = await page.waitForFunction(
    () => {
      const w = window as unknown as { __benchParts?: Record<string, number> };
      const parts = (w.__benchParts ??= {});
      /* No named inner functions here: tsx (esbuild keepNames) would wrap them in a __name() the page does not have. */
      const health = document.querySelector('section[aria-labelledby="health-title"]');
      const drops = document.querySelector('section[aria-labelledby="drops-title"]');
      const samples = document.querySelector('[data-testid="live-samples"]');
      const seen: Record<string, boolean> = {
        heading: [...document.querySelectorAll('h1')].some((h) => h.textContent?.trim() === 'Overview'),
        services: document.querySelectorAll('section[aria-labelledby="per-service-title"] tbody tr').length > 0,
        health: health !== null && health.querySelector('.state-loading') === null,
        drops: drops !== null && drops.querySelector('.state-loading') === null,
        'live sample': samples !== null && samples.getAttribute('data-samples') !== '0',
      };
      const now = performance.now();
      for (const [part, yes] of Object.entries(seen)) if (yes && parts[part] === undefined) parts[part] = now;
      const error = document.querySelector('.alert-error');
      if (error) return { error: error.textContent ?? 'error' };
      const ready = Object.values(seen).every(Boolean) && document.querySelector('.state-loading') === null;
      return ready ? { shownMs: now, parts } : false;
    },
    undefined,
    { timeout: WAIT_MS, polling: 'raf' },
  );
  const result = (await handle.jsonValue()) as OverviewTimes | { error: string };
  if ('error' in result) throw new Error(`the overview shows an error: ${result.error}`);
  return result;
}

/** The connections screen's table holds `rows` rows of page `pageNumber`, fetched (not the previous page kept while loading). */
async function tableShown(page: Page, pageNumber: number, rows: number): Promise<number> {
  const handle = await page.waitForFunction(
    ({ pageNumber, rows }: { pageNumber: number; rows: number }) => {
      if (document.querySelector('.alert-error')) return { error: document.querySelector('.alert-error')!.textContent ?? 'error' };
      const info = document.querySelector('[data-testid="page-info"]')?.textContent ?? '';
      const table = document.querySelector('[data-testid="connections-table"]');
      const ready =
        info.startsWith(`Page ${pageNumber} `) && table?.getAttribute('aria-busy') === 'false' && table.querySelectorAll('tbody tr').length === rows;
      return ready ? { ms: performance.now() } : false;
    },
    { pageNumber, rows },
    { timeout: WAIT_MS, polling: 'raf' },
  );
  const result = (await handle.jsonValue()) as { ms: number } | { error: string };
  if ('error' in result) throw new Error(`the connections screen shows an error: ${result.error}`);
  return result.ms;
}

const fetchMsOf = async (page: Page) => Number(await page.getByTestId('page-time').getAttribute('data-ms'));

function record(name: string, ms: number[], note: string): BenchRecord {
  return {
    section: 'control-plane',
    name,
    value: round(median(ms)),
    unit: 'ms',
    referenceName: null,
    referenceValue: null,
    ratio: null,
    runs: ms.length,
    spread: round(spread(ms), 3),
    note,
  };
}

const ms = (values: number[]) => `${round(median(values))} ms`;

/** The console server and a browser, started side by side; both are kept for the teardown even when one fails. */
async function startConsoleAndBrowser(
  agentSocket: string,
  keep: (server?: ConsoleServer, browser?: Browser) => void,
): Promise<{ server: ConsoleServer; browser: Browser }> {
  const [started, launched] = await Promise.allSettled([startConsoleServer(agentSocket), launchBrowser()]);
  keep(started.status === 'fulfilled' ? started.value : undefined, launched.status === 'fulfilled' ? launched.value : undefined);
  if (started.status === 'rejected') throw started.reason;
  if (launched.status === 'rejected') throw launched.reason;
  return { server: started.value, browser: launched.value };
}

/**
 * Overview first loads (cold cache: a fresh browser context per load, with
 * the logged-in session), then the connections screen and its "Next page".
 * Needs the agent behind agentSocket to hold the million flows already.
 */
export async function measureConsole(
  agentSocket: string,
  options: { loads: number; pages: number; flows: number },
  log: (m: string) => void,
): Promise<BenchRecord[]> {
  const available = consoleAvailability();
  if (!available.ok) return Object.values(CONSOLE_FIGURES).map((n) => notMeasured('control-plane', n, 'ms', available.reason));
  let server: ConsoleServer | undefined;
  let browser: Browser | undefined;
  try {
    return await withDeadline(
      (async () => {
        const t = Date.now();
        const up = await startConsoleAndBrowser(agentSocket, (s, b) => ((server = s), (browser = b)));
        const session = await logIn(up.browser, up.server.url);
        log(`console up on ${up.server.url} and logged in after ${((Date.now() - t) / 1000).toFixed(1)} s`);
        const fresh = async () => {
          const context = await up.browser.newContext({ baseURL: up.server.url, storageState: session, viewport: { width: 1280, height: 800 } });
          context.setDefaultTimeout(WAIT_MS);
          return { context, page: await context.newPage() };
        };

        /* Every load counts, the first one after the server started too (a production build compiles nothing on request). */
        const shown: number[] = [];
        const parts = new Map<string, number[]>(OVERVIEW_PARTS.map((p) => [p, []]));
        const wall: number[] = [];
        for (let i = 0; i < options.loads; i++) {
          const { context, page } = await fresh();
          try {
            const started = Date.now();
            await page.goto('/', { waitUntil: 'commit' });
            const r = await overviewShown(page);
            wall.push(Date.now() - started);
            shown.push(r.shownMs);
            for (const part of OVERVIEW_PARTS) parts.get(part)!.push(r.parts[part]);
          } finally {
            await context.close().catch(() => {});
          }
        }
        log(`console overview first load: ${shown.map((v) => Math.round(v)).join(', ')} ms`);

        const screenLoads: number[] = [];
        const screenFetch: number[] = [];
        for (let i = 0; i < options.loads; i++) {
          const { context, page } = await fresh();
          try {
            await page.goto('/connections', { waitUntil: 'commit' });
            screenLoads.push(await tableShown(page, 1, 100));
            screenFetch.push(await fetchMsOf(page));
          } finally {
            await context.close().catch(() => {});
          }
        }
        log(`console connections screen load: ${screenLoads.map((v) => Math.round(v)).join(', ')} ms`);

        /* "Next page", one page after another through the million, each timed in the page from the click until the new rows are in the table. */
        const clicks: number[] = [];
        const clickFetch: number[] = [];
        const { context, page } = await fresh();
        try {
          await page.goto('/connections');
          await tableShown(page, 1, 100);
          for (let i = 0; i < options.pages; i++) {
            const before = await page.locator('[data-testid="connections-table"] tbody tr').first().textContent();
            const clickedAt = await page.evaluate(() => {
              const button = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Next page');
              if (!button || button.disabled) throw new Error('no enabled "Next page" button');
              const t = performance.now();
              button.click();
              return t;
            });
            const doneAt = await tableShown(page, i + 2, 100);
            const after = await page.locator('[data-testid="connections-table"] tbody tr').first().textContent();
            if (after === before) throw new Error(`page ${i + 2} shows the same first row as page ${i + 1}`);
            clicks.push(doneAt - clickedAt);
            clickFetch.push(await fetchMsOf(page));
          }
        } finally {
          await context.close().catch(() => {});
        }
        log(`console next page: ${clicks.map((v) => Math.round(v)).join(', ')} ms`);

        const where = `Chromium ${up.browser.version()} (headless, Debian's) against \`next start\` (production build${consoleBuildSeconds ? `, built in this run in ${consoleBuildSeconds.toFixed(0)} s` : ''}) on ${up.server.url}, proxying to the real agent's unix socket; ${options.flows} flows tracked`;
        const p90 = (values: number[]) =>
          `${round(
            percentile(
              [...values].sort((a, b) => a - b),
              90,
            ),
          )} ms`;
        return [
          record(
            CONSOLE_FIGURES.firstLoad,
            shown,
            `overview (/) after login, ${options.loads} loads each in a fresh browser context (cold cache, session cookie): navigation start until the first live sample, the services table, drops and health are shown and no loading placeholder is left (performance.now() in the page); each part first shown after (median) ${OVERVIEW_PARTS.map((p) => `${p} ${ms(parts.get(p)!)}`).join(', ')}; the bench saw the load done after ${ms(wall)}; the live feed (stats.live over SSE) sends a sample a second; ${where}`,
          ),
          record(
            CONSOLE_FIGURES.connectionsLoad,
            screenLoads,
            `/connections, ${options.loads} loads each in a fresh browser context: navigation start until the first 100 rows are in the table (performance.now() in the page); the page's own fetch (browser -> console -> agent -> back) took ${ms(screenFetch)} (median); ${where}`,
          ),
          record(
            CONSOLE_FIGURES.nextPage,
            clicks,
            `"Next page" clicked ${options.pages} times in a row (unfiltered, 100 rows a page, cursor paging): click until the next page's 100 rows are in the table and it is no longer busy (performance.now() in the page); p90 ${p90(clicks)}; the page's own fetch took ${ms(clickFetch)} (median); ${where}`,
          ),
        ];
      })(),
      120_000,
      'the console measurement',
    );
  } catch (error) {
    const reason = `failed: ${(error as Error).message.split('\n')[0]}`;
    log(`console measurement failed: ${(error as Error).stack}${server ? `\nconsole log:\n${server.log().slice(-1500)}` : ''}`);
    return Object.values(CONSOLE_FIGURES).map((n) => notMeasured('control-plane', n, 'ms', reason));
  } finally {
    await closeBrowser(browser);
    await stopConsoleServer(server);
  }
}

/** A console with the overview open (its live subscription and polls running) while `observe` runs; torn down after. */
export async function withOverviewOpen<T>(
  agentSocket: string,
  observe: (describe: string) => Promise<T>,
  log: (m: string) => void,
): Promise<{ result: T; liveSamples: number }> {
  const available = consoleAvailability();
  if (!available.ok) throw new Error(available.reason);
  let server: ConsoleServer | undefined;
  let browser: Browser | undefined;
  try {
    const page = await withDeadline(
      (async () => {
        const up = await startConsoleAndBrowser(agentSocket, (s, b) => ((server = s), (browser = b)));
        const session = await logIn(up.browser, up.server.url);
        const context = await up.browser.newContext({ baseURL: up.server.url, storageState: session, viewport: { width: 1280, height: 800 } });
        context.setDefaultTimeout(WAIT_MS);
        const page = await context.newPage();
        await page.goto('/');
        await overviewShown(page);
        return page;
      })(),
      60_000,
      'opening the console',
    );
    log('console overview open');
    const samplesBefore = Number(await page.getByTestId('live-samples').getAttribute('data-samples'));
    const result = await observe(
      `one console (\`next start\` on ${server!.url}) with the overview open in Chromium, its 1 s live-stats subscription (SSE) and polls (services 5 s, health and drop counters 2 s) running`,
    );
    const samplesAfter = Number(await page.getByTestId('live-samples').getAttribute('data-samples'));
    if (!(samplesAfter > samplesBefore)) throw new Error(`the overview received no live samples while observed (${samplesBefore} -> ${samplesAfter})`);
    return { result, liveSamples: samplesAfter - samplesBefore };
  } finally {
    await closeBrowser(browser);
    await stopConsoleServer(server);
  }
}

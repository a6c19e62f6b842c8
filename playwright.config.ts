/*
 * Console tests (pnpm test:console): Debian's Chromium against the real
 * agent and the real namespaced test network. One worker, because every
 * test changes the one live data plane. A setup project logs in once per
 * role and saves the session; specs reuse it.
 */
import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.SLUICE_CONSOLE_TEST_PORT ?? 3107);
const BASE_URL = `http://127.0.0.1:${PORT}`;
/* lab-settings.ts's AGENT_SOCKET (that module is ESM, which Playwright cannot load from its config). */
const AGENT_SOCKET = `/run/sluice-console${process.env.SLUICE_TEST_TAG ?? ''}/agent.sock`;

export default defineConfig({
  testDir: './tests/console',
  outputDir: './test-results/console',
  globalSetup: './tests/console/global-setup.ts',
  globalTeardown: './tests/console/global-teardown.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json', { outputFile: 'test-results/console-report.json' }]],
  use: {
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    viewport: { width: 1440, height: 900 },
    launchOptions: {
      /* Debian's Chromium: never `playwright install` on this machine. */
      executablePath: process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  projects: [
    { name: 'setup', testMatch: /auth\.setup\.ts$/ },
    { name: 'console', testMatch: /\.spec\.ts$/, dependencies: ['setup'] },
  ],
  webServer: {
    /* The production build (scripts/run-tests.sh builds it first), as an operator runs it. */
    command: `node apps/web/node_modules/next/dist/bin/next start apps/web --hostname 127.0.0.1 --port ${PORT}`,
    url: `${BASE_URL}/login`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: { SLUICE_AGENT_SOCKET: AGENT_SOCKET, NEXT_TELEMETRY_DISABLED: '1' },
  },
});

/*
 * Nobody gets in by guessing, and nobody learns from an error: what reaches
 * the browser through the console carries no stack or path, failed logins
 * slow down with a stated wait, the browser's address reaches the agent's
 * throttle and audit, every login gets a new session id, and an admin sees
 * and revokes API tokens on the users screen.
 */
import { join } from 'node:path';
import { CSRF_COOKIE, CSRF_HEADER } from './support/csrf.ts';
import { AGENT_SOCKET, CONSOLE_URL, REPO_ROOT, USERS, serviceName, storageStateOf } from './support/lab-settings.ts';
import { expect, request as playwrightRequest, test } from '@playwright/test';
import { runCommand } from './support/run-command.ts';
import { sluiceJson } from './support/sluice-cli.ts';

/* A stack frame or a source path: what no reply may carry. */
const INTERNALS = /"stack"|\bat [\w.<>]+ \(|\/(work|root|home|usr|var|tmp|run)\/|node_modules|\.[cm]?[jt]sx?:\d+/;

const loginHeaders = { 'content-type': 'application/json', [CSRF_HEADER]: 'login', origin: CONSOLE_URL };

test.describe('as a viewer', () => {
  test.use({ storageState: storageStateOf('viewer') });

  test('errors that reach the browser carry no stack or path, and typed ones keep their words', async ({ page }) => {
    await page.goto('/services');
    const csrf = (await page.context().cookies()).find((c) => c.name === CSRF_COOKIE)!.value;
    const post = (procedure: string, data: unknown) =>
      page.request.post(`/api/trpc/${procedure}`, { headers: { 'content-type': 'application/json', [CSRF_HEADER]: csrf, origin: CONSOLE_URL }, data });

    const replies = [
      ['unknown procedure', await page.request.get('/api/trpc/no.such.procedure')],
      ['refused by role', await post('services.delete', { service: serviceName('web') })],
      ['invalid input', await page.request.get(`/api/trpc/services.get?input=${encodeURIComponent(JSON.stringify('198.18.100.999:80/tcp'))}`)],
      ['unknown service', await page.request.get(`/api/trpc/services.get?input=${encodeURIComponent(JSON.stringify('198.18.100.250:80/tcp'))}`)],
      [
        'malformed body',
        await page.request.post('/api/trpc/services.delete', {
          headers: { 'content-type': 'application/json', [CSRF_HEADER]: csrf, origin: CONSOLE_URL },
          data: '{"service":',
        }),
      ],
    ] as const;
    for (const [label, response] of replies) {
      expect(response.status(), label).toBeGreaterThanOrEqual(400);
      const text = await response.text();
      expect(text, label).not.toMatch(INTERNALS);
    }
    const forbidden = (await replies[1][1].json()) as { error: { message: string; data: { sluiceCode: string } } };
    expect(forbidden.error.data.sluiceCode).toBe('FORBIDDEN');
    expect(forbidden.error.message).toMatch(/services\.delete needs role admin/);
    const invalid = (await replies[2][1].json()) as { error: { message: string; data: { sluiceCode: string } } };
    expect(invalid.error.data.sluiceCode).toBe('INVALID');
  });
});

test('failed logins slow down with a stated wait, for any user name; the browser address is what the agent audits', async ({ page, browser }) => {
  /* Through the login endpoint the page's form uses; the wait is real (the agent's clock), so the fourth try follows at once. */
  const attempt = () => page.request.post('/api/session/login', { headers: loginHeaders, data: { user: 'nobody-guessing', password: 'not-the-password' } });
  /* Two free failures, then the third makes the next attempt wait 1 s. */
  for (const _ of [1, 2]) {
    const response = await attempt();
    expect(response.status()).toBe(401);
    expect(((await response.json()) as { message: string }).message).toBe('Wrong user name or password.');
  }
  const third = await attempt();
  expect(third.status()).toBe(401);
  expect(third.headers()['retry-after']).toBe('1');
  expect(((await third.json()) as { message: string }).message).toBe('Wrong user name or password. Wait 1 s before the next try.');
  const fourth = await attempt();
  expect(fourth.status()).toBe(429);
  expect(Number(fourth.headers()['retry-after'])).toBeGreaterThanOrEqual(1);
  const text = await fourth.text();
  expect(text).toMatch(/Too many failed logins for this user or from this address\. Try again in 1 s/);
  expect(text).not.toMatch(INTERNALS);

  const admin = await browser.newContext({ storageState: storageStateOf('admin') });
  try {
    const input = encodeURIComponent(JSON.stringify({ action: 'auth.loginFailed', target: 'nobody-guessing' }));
    const audit = (await (await admin.request.get(`/api/trpc/audit.list?input=${input}`)).json()) as {
      result: { data: { items: { target: string; after: { source: string } }[] } };
    };
    const failures = audit.result.data.items.filter((i) => i.target === 'nobody-guessing');
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(failures[0]!.after.source).toBe('127.0.0.1');
  } finally {
    await admin.close();
  }
});

test('every login gets a new session id; the one it replaced is dead at once', async () => {
  const browserLike = await playwrightRequest.newContext({ baseURL: CONSOLE_URL });
  const stranger = await playwrightRequest.newContext({ baseURL: CONSOLE_URL });
  try {
    const sessionCookie = async () => (await browserLike.storageState()).cookies.find((c) => c.name === 'sluice_session')!.value;
    const logIn = () => browserLike.post('/api/session/login', { headers: loginHeaders, data: USERS.viewer });
    expect((await logIn()).status()).toBe(200);
    const first = await sessionCookie();
    expect((await logIn()).status()).toBe(200);
    const second = await sessionCookie();
    expect(second).not.toBe(first);
    const whoamiWith = (id: string) => stranger.get('/api/trpc/auth.whoami', { headers: { cookie: `sluice_session=${id}` } });
    expect((await whoamiWith(first)).status()).toBe(401);
    const current = await whoamiWith(second);
    expect(current.status()).toBe(200);
    expect(((await current.json()) as { result: { data: { user: string } } }).result.data.user).toBe(USERS.viewer.user);
  } finally {
    await browserLike.dispose();
    await stranger.dispose();
  }
});

test.describe('as an admin', () => {
  test.use({ storageState: storageStateOf('admin') });

  test('the users screen lists API tokens without secrets and revokes one, refused at once', async ({ page }) => {
    const created = await sluiceJson<{ name: string; token: string }>(['token', 'create', 'con-ci', '--role', 'viewer']);
    const useToken = () =>
      runCommand(process.execPath, [join(REPO_ROOT, 'apps/agent/bin/sluice.mjs'), 'service', 'ls'], {
        timeoutMs: 30_000,
        cwd: REPO_ROOT,
        env: { ...process.env, SLUICE_SOCKET: AGENT_SOCKET, SLUICE_TOKEN: created.token },
      });
    expect((await useToken()).code).toBe(0);

    await page.goto('/users');
    const row = page.getByTestId('tokens-table').locator('[data-token="con-ci"]');
    await expect(row).toContainText('viewer');
    await expect(row).toContainText('root');
    await expect(page.getByTestId('tokens-table').locator('[data-token="root"]')).toBeVisible();
    expect(await page.content()).not.toContain(created.token.slice(4));
    await expect(page.getByRole('button', { name: 'Revoke root' })).toHaveCount(0);

    await page.getByRole('button', { name: 'Revoke con-ci' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await expect(page.getByTestId('notice')).toContainText('Revoked token con-ci');
    await expect(row).toHaveCount(0);
    const refused = await useToken();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/UNAUTHENTICATED/);
  });
});

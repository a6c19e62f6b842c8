/*
 * What the CLI can do, the console can do (issue 15): change one's own
 * password, API tokens (create, shown once, list, revoke), health-check
 * settings after creation, configuration export and import with a preview.
 * Each is proven on the agent itself (through the CLI or a login), not only
 * in the DOM; the viewer sees none of the admin parts.
 */
import { readFileSync } from 'node:fs';
import { collectConsoleErrors, saveScreenshot } from './support/console-page.ts';
import { CONSOLE_URL, endpointOf, serviceName, servicePagePath, storageStateOf } from './support/lab-settings.ts';
import { resetServices } from './support/lab.ts';
import { sluice, sluiceJson } from './support/sluice-cli.ts';
import { type Browser, type Page, expect, test } from '@playwright/test';

/* Each test stands alone (one worker runs them in order): a failure in one does not hide the others. */
let errors: string[] = [];
test.beforeAll(async () => resetServices());
test.beforeEach(({ page }) => {
  errors = collectConsoleErrors(page);
});
test.afterEach(() => expect(errors, 'browser console errors').toEqual([]));

/* A refusal the test provokes on purpose: the browser logs the agent's 400 answer. Exactly that many, and nothing else, are taken off. */
function expectRefusals(count: number): void {
  const refusal = (e: string) => e.includes('status of 400 (Bad Request)');
  expect(errors.filter(refusal), 'the refusals this test provoked').toHaveLength(count);
  errors = errors.filter((e) => !refusal(e));
}

async function logIn(browser: Browser, user: string, password: string): Promise<Page> {
  const page = await (await browser.newContext({ baseURL: CONSOLE_URL })).newPage();
  await page.goto('/login');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('whoami')).toContainText(user);
  return page;
}

test.describe('any user', () => {
  test('changes their own password: the current one is required; their other session ends, this one goes on', async ({ browser }) => {
    /* A user of this test's own: the shared test users' saved sessions must not end. */
    const user = 'pa-password-user';
    await sluice(['user', 'rm', user]).catch(() => undefined);
    await sluice(['user', 'add', user, '--role', 'viewer'], 'first long password\n');
    const phone = await logIn(browser, user, 'first long password');
    const desk = await logIn(browser, user, 'first long password');
    /* Your name in the header leads to your account page. */
    await expect(desk.getByTestId('whoami')).toHaveAttribute('href', '/account');
    await desk.goto('/account');
    await desk.getByLabel('Current password').fill('not my password');
    await desk.getByLabel(/^New password \(at least/).fill('second long password');
    await desk.getByLabel('New password again').fill('second long password');
    await desk.getByRole('button', { name: 'Change password' }).click();
    await expect(desk.getByTestId('notice')).toContainText('current password is wrong');
    await desk.getByLabel('Current password').fill('first long password');
    await desk.getByRole('button', { name: 'Change password' }).click();
    await expect(desk.getByTestId('notice')).toContainText('Your password is changed. 1 other session of yours ended; this one goes on.');
    await saveScreenshot(desk, 'account-password');
    /* This session goes on; the phone's ended. */
    await desk.goto('/services');
    await expect(desk.getByTestId('services-table')).toBeVisible();
    /* The phone's open page polls, so it finds out by itself and goes to the login page, saying why. */
    await expect(phone).toHaveURL(/\/login\?.*expired=1/, { timeout: 15_000 });
    await expect(phone.getByText('Your session has ended: log in again.')).toBeVisible();
    /* And a new navigation with the ended session lands there too. */
    await phone.goto('/services');
    await expect(phone).toHaveURL(/\/login/);
    /* The agent took the new password, not the old. */
    const login = (password: string) => sluice(['user', 'passwd', user], `${password}\nthird long password\n`);
    await expect(login('first long password')).rejects.toThrow(/wrong user name or password/);
    await login('second long password');
    await sluice(['user', 'rm', user]);
  });
});

test.describe('admin', () => {
  test.use({ storageState: storageStateOf('admin') });

  test('API tokens: create shows the secret once (copyable) and it works; the list never shows it; revoke refuses it', async ({ page }) => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: CONSOLE_URL });
    await page.goto('/users');
    await sluice(['token', 'revoke', 'pa-grafana']).catch(() => undefined);
    await page.getByLabel('Token name').fill('pa-grafana');
    await page.getByRole('form', { name: 'Create an API token' }).getByLabel('Role').selectOption('viewer');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('new-token-secret').textContent())!.trim();
    expect(secret).toMatch(/^slk_/);
    await page.getByTestId('new-token').getByRole('button', { name: 'Copy' }).click();
    await expect(page.getByTestId('new-token').getByRole('button', { name: 'Copied' })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await saveScreenshot(page, 'token-created');
    /* The token is real: the agent answers it, as a viewer. */
    const asToken = (args: string[]) => sluice(args).then(() => 'ok');
    process.env.SLUICE_TOKEN = secret;
    try {
      expect(await asToken(['service', 'ls'])).toBe('ok');
    } finally {
      delete process.env.SLUICE_TOKEN;
    }
    const row = page.getByTestId('tokens-table').locator('[data-token="pa-grafana"]');
    await expect(row).toContainText('viewer');
    await page.getByTestId('new-token').getByRole('button', { name: 'Done, hide it' }).click();
    await page.reload();
    await expect(page.getByTestId('tokens-table')).toBeVisible();
    expect(await page.content(), 'the secret is never shown again').not.toContain(secret.slice(4));
    await row.getByRole('button', { name: 'Revoke pa-grafana' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await expect(page.getByTestId('notice')).toContainText('Revoked token pa-grafana');
    process.env.SLUICE_TOKEN = secret;
    try {
      await expect(asToken(['service', 'ls'])).rejects.toThrow(/UNAUTHENTICATED/);
    } finally {
      delete process.env.SLUICE_TOKEN;
    }
  });

  test('health-check settings after creation: saved on the agent and audited; bad settings are refused with every problem and change nothing', async ({
    page,
  }) => {
    const web = serviceName('web');
    type Service = { name: string; healthCheck: { type: string; intervalMs: number; timeoutMs: number; rise: number; fall: number; path?: string } };
    const stored = async () => (await sluiceJson<Service[]>(['service', 'ls'])).find((s) => s.name === web)!.healthCheck;
    const before = await stored();
    await page.goto(servicePagePath('web'));
    const form = page.getByRole('form', { name: 'Health-check settings' });
    await form.getByLabel('Interval (ms)').fill('50');
    await form.getByLabel('Timeout (ms)').fill('5000');
    await form.getByRole('button', { name: 'Save health check' }).click();
    const notice = page.getByTestId('notice');
    await expect(notice).toContainText('intervalMs must be 100 to 300000');
    await expect(notice).toContainText('timeoutMs 5000 exceeds intervalMs 50');
    expect(await stored(), 'nothing changed').toEqual(before);
    expectRefusals(1);

    await form.getByLabel('Check').selectOption('http');
    await form.getByLabel('Interval (ms)').fill('1500');
    await form.getByLabel('Timeout (ms)').fill('700');
    await form.getByLabel('Fall').fill('4');
    await form.getByLabel('HTTP path').fill('/');
    await form.getByRole('button', { name: 'Save health check' }).click();
    await expect(notice).toContainText('now checks by http every 1500 ms (timeout 700 ms');
    await saveScreenshot(page, 'health-check-editor');
    expect(await stored()).toMatchObject({ type: 'http', intervalMs: 1500, timeoutMs: 700, fall: 4, path: '/' });
    const audit = await sluiceJson<{ items: { action: string; target: string }[] }>(['audit', '--action', 'service.update']);
    expect(audit.items[0]?.target).toBe(web);
    /* The backends stay up under the new check (the lab's servers answer HTTP on /). */
    await expect(page.getByTestId('backends-table').getByTestId('health').first()).toContainText(/up/i, { timeout: 20_000 });
    await sluice([
      'service',
      'set',
      web,
      '--check',
      before.type,
      '--check-interval',
      `${before.intervalMs}ms`,
      '--check-timeout',
      `${before.timeoutMs}ms`,
      '--fall',
      String(before.fall),
    ]);
  });

  test('configuration: export downloads the document; import previews every change, applies only on request; a bad document lists every problem', async ({
    page,
  }) => {
    await page.goto('/configuration');
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download configuration' }).click();
    const file = await (await downloading).path();
    const exported = JSON.parse(readFileSync(file, 'utf8')) as {
      services: { address: string; port: number; algorithm: string; backends: { address: string; port: number; weight: number; state: string }[] }[];
    };
    expect(exported).toEqual(JSON.parse(await sluice(['config', 'export'])));

    const web = exported.services.find((s) => `${s.address}:${s.port}/tcp` === serviceName('web'))!;
    const changed = structuredClone(exported);
    const changedWeb = changed.services.find((s) => s.address === web.address && s.port === web.port)!;
    changedWeb.backends[0]!.weight = 7;
    const before = await sluice(['config', 'export']);
    await page.getByLabel('Configuration document (JSON)').fill(JSON.stringify(changed, null, 2));
    await page.getByRole('button', { name: 'Preview changes' }).click();
    const preview = page.getByTestId('import-preview');
    await expect(preview).toContainText('Backends: 0 added, 1 changed, 0 removed.');
    await expect(preview).toContainText(`backend ${endpointOf('web', 1)} of ${serviceName('web')} changed: weight ${web.backends[0]!.weight} -> 7`);
    await saveScreenshot(page, 'config-import-preview');
    expect(await sluice(['config', 'export']), 'a preview changes nothing').toBe(before);
    await page.getByRole('button', { name: 'Apply import' }).click();
    await expect(page.getByTestId('notice')).toContainText('Imported: 0 service and 1 backend change applied.');
    const backends = await sluiceJson<{ endpoint: string; weight: number }[]>(['backend', 'ls', serviceName('web')]);
    expect(backends.find((b) => b.endpoint === endpointOf('web', 1))?.weight).toBe(7);

    const bad = structuredClone(exported) as any;
    bad.services[0].port = 0;
    bad.services[0].algorithm = 'fastest';
    bad.services[0].backends[0].weight = -1;
    await page.getByLabel('Configuration document (JSON)').fill(JSON.stringify(bad));
    await page.getByRole('button', { name: 'Preview changes' }).click();
    const problems = page.getByTestId('import-problems');
    await expect(problems).toContainText('3 problems');
    await expect(problems).toContainText('services.0.port');
    await expect(problems).toContainText('services.0.algorithm');
    await expect(problems).toContainText('services.0.backends.0.weight');
    await expect(page.getByRole('button', { name: 'Apply import' })).toBeDisabled();
    await saveScreenshot(page, 'config-import-problems');
    await page.getByLabel('Configuration document (JSON)').fill('{"services": [');
    await page.getByRole('button', { name: 'Preview changes' }).click();
    await expect(problems).toContainText('The document is not JSON');
    /* The agent refused the bad document once; the broken JSON never left the page. */
    expectRefusals(1);
    /* Back to how it was. */
    await page.getByLabel('Configuration document (JSON)').fill(JSON.stringify(exported));
    await page.getByRole('button', { name: 'Preview changes' }).click();
    await expect(page.getByTestId('import-preview')).toContainText('1 changed');
    await page.getByRole('button', { name: 'Apply import' }).click();
    await expect(page.getByTestId('notice')).toContainText('Imported');
  });
});

test.describe('viewer', () => {
  test.use({ storageState: storageStateOf('viewer') });

  test('sees nothing of tokens, configuration or health-check editing, but has their own account page', async ({ page }) => {
    await page.goto('/users');
    await expect(page.getByText('Only admins manage users')).toBeVisible();
    await expect(page.getByText('API tokens')).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Configuration' })).toHaveCount(0);
    await page.goto('/configuration');
    await expect(page.getByText('Only admins export and import the configuration')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Download configuration' })).toHaveCount(0);
    await page.goto(servicePagePath('web'));
    await expect(page.getByText('Only admins change the health check.')).toBeVisible();
    await expect(page.getByRole('form', { name: 'Health-check settings' })).toHaveCount(0);
    await page.goto('/account');
    await expect(page.getByRole('button', { name: 'Change password' })).toBeVisible();
  });
});

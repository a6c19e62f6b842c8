/* A viewer sees no mutation controls, and a mutation forged with a viewer's session is refused by the agent. */
import { CSRF_COOKIE } from './support/csrf.ts';
import { collectConsoleErrors } from './support/console-page.ts';
import { CONSOLE_URL, endpointOf, serviceName, servicePagePath, storageStateOf } from './support/lab-settings.ts';
import { expect, test } from '@playwright/test';
import { sluiceJson } from './support/sluice-cli.ts';

test.use({ storageState: storageStateOf('viewer') });

test('no mutation controls anywhere for a viewer', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  await page.goto('/services');
  await expect(page.getByTestId('services-table')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create service' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Delete/ })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);

  await page.goto(servicePagePath('web'));
  await expect(page.getByTestId('backends-table')).toBeVisible();
  for (const name of [/^Drain/, /^Ready/, /^Maint/, /^Remove/, 'Add backend', 'Switch algorithm', 'Set limit', /^Save/])
    await expect(page.getByRole('button', { name })).toHaveCount(0);
  await expect(page.getByRole('checkbox')).toHaveCount(0);
  await expect(page.getByRole('spinbutton')).toHaveCount(0);
  await expect(page.getByRole('combobox')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a forged mutation with a viewer session (and a valid CSRF token) is refused', async ({ page }) => {
  await page.goto('/services');
  const csrf = (await page.context().cookies()).find((c) => c.name === CSRF_COOKIE)?.value;
  expect(csrf).toBeTruthy();
  const endpoint = endpointOf('web', 1);
  const response = await page.request.post('/api/trpc/backends.setState', {
    headers: { 'content-type': 'application/json', 'x-sluice-csrf': csrf!, origin: CONSOLE_URL },
    data: { service: serviceName('web'), endpoint, state: 'maint' },
  });
  expect(response.status()).toBe(403);
  const body = (await response.json()) as { error: { data: { sluiceCode: string } } };
  expect(body.error.data.sluiceCode).toBe('FORBIDDEN');
  const backends = await sluiceJson<{ endpoint: string; state: string }[]>(['backend', 'ls', serviceName('web')]);
  expect(backends.find((b) => b.endpoint === endpoint)?.state, 'nothing changed').toBe('ready');
});

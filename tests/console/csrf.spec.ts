/*
 * Cross-site requests cannot change anything: a POST without the CSRF token,
 * with a wrong one, or from another origin is refused with 403 before it
 * reaches the agent — even with an admin's session cookie attached.
 */
import { CSRF_COOKIE, CSRF_HEADER } from './support/csrf.ts';
import { CONSOLE_URL, serviceName, storageStateOf } from './support/lab-settings.ts';
import { expect, test } from '@playwright/test';

test.use({ storageState: storageStateOf('admin') });

const mutation = { service: serviceName('algo'), algorithm: 'maglev' };

test('a cross-site POST without the CSRF token is refused with 403', async ({ page }) => {
  await page.goto('/services');
  const csrf = (await page.context().cookies()).find((c) => c.name === CSRF_COOKIE)!.value;
  const post = (headers: Record<string, string>) =>
    page.request.post('/api/trpc/services.update', { headers: { 'content-type': 'application/json', ...headers }, data: mutation });

  const cases: [string, Record<string, string>][] = [
    ['no token, cross-site', { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }],
    ['no token, no origin', {}],
    ['wrong token', { [CSRF_HEADER]: 'forged', origin: CONSOLE_URL }],
    ['right token from another origin', { [CSRF_HEADER]: csrf, origin: 'http://evil.example' }],
  ];
  for (const [label, headers] of cases) {
    const response = await post(headers);
    expect(response.status(), label).toBe(403);
    const body = (await response.json()) as { error: { data: { sluiceCode: string } } };
    expect(body.error.data.sluiceCode, label).toBe('CSRF');
  }

  /* A cross-site HTML form (no custom header possible) is refused too. */
  const form = await page.request.post('/api/trpc/services.update', {
    headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    form: { service: mutation.service, algorithm: 'maglev' },
  });
  expect(form.status()).toBe(403);

  /* Control: the same call from the console's own page with its token is accepted. */
  const ok = await post({ [CSRF_HEADER]: csrf, origin: CONSOLE_URL });
  expect(ok.status()).toBe(200);
  await page.request.post('/api/trpc/services.update', {
    headers: { 'content-type': 'application/json', [CSRF_HEADER]: csrf, origin: CONSOLE_URL },
    data: { ...mutation, algorithm: 'round-robin' },
  });
});

test('queries cannot change state: a mutation over GET is refused', async ({ page }) => {
  await page.goto('/services');
  const response = await page.request.get(`/api/trpc/services.update?input=${encodeURIComponent(JSON.stringify(mutation))}`);
  expect(response.status()).toBe(405);
});

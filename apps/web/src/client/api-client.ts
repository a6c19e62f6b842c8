/*
 * The browser's tRPC client. Everything goes to the console server's
 * /api/trpc proxy (never to the agent directly). Queries and mutations are
 * batched over HTTP; subscriptions use SSE (EventSource carries the session
 * cookie by itself). Every request carries the CSRF token the server checks
 * on POSTs.
 */
import type { AppRouter } from '@sluice/api';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';

export const CSRF_COOKIE = 'sluice_csrf';
export const CSRF_HEADER = 'x-sluice-csrf';

export function csrfToken(): string {
  if (typeof document === 'undefined') return '';
  const entry = document.cookie.split('; ').find((part) => part.startsWith(`${CSRF_COOKIE}=`));
  return entry ? decodeURIComponent(entry.slice(CSRF_COOKIE.length + 1)) : '';
}

const URL_BASE = '/api/trpc';

export const api = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({ url: URL_BASE }),
      false: httpBatchLink({ url: URL_BASE, headers: () => ({ [CSRF_HEADER]: csrfToken() }) }),
    }),
  ],
});

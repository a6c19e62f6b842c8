/*
 * React Query for the whole console. An expired session sends the user to
 * the login page from wherever the error surfaces, instead of every screen
 * handling it.
 */
'use client';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { errorCode } from '@/client/error-text.ts';

function loginAgainOn401(error: unknown): void {
  if (errorCode(error) === 'UNAUTHENTICATED' && typeof window !== 'undefined')
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}&expired=1`);
}

export function QueryProvider({ children }: { children: ReactNode }) {
  const [client] = useState(
    () =>
      new QueryClient({
        queryCache: new QueryCache({ onError: loginAgainOn401 }),
        mutationCache: new MutationCache({ onError: loginAgainOn401 }),
        defaultOptions: {
          queries: {
            /* Retrying a refused request only delays the message; retry transient failures once. */
            retry: (failures, error) => failures < 1 && !['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'INVALID'].includes(errorCode(error) ?? ''),
            refetchOnWindowFocus: true,
            staleTime: 1000,
          },
        },
      }),
  );
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

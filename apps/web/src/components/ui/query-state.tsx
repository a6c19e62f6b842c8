/*
 * What a query shows while it loads, when it fails (with a retry), and once
 * it has data: every screen says the same thing the same way, never a blank area.
 */
'use client';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ErrorState, LoadingState } from './states.tsx';

export function QueryState<Data>({ query, loadingLabel, children }: { query: UseQueryResult<Data>; loadingLabel: string; children(data: Data): ReactNode }) {
  if (query.isPending) return <LoadingState label={loadingLabel} />;
  if (query.isError) return <ErrorState error={query.error} retry={() => query.refetch()} />;
  return <>{children(query.data)}</>;
}

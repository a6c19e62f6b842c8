/* Backends up and down per service, with the down ones named: the first thing to look at when traffic drops. */
'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { api } from '@/client/api-client.ts';
import { pollEvery } from '@/client/refresh-on-changes.ts';
import { servicePath } from '@/client/service-path.ts';
import { QueryState } from '@/components/ui/query-state.tsx';
import { EmptyState } from '@/components/ui/states.tsx';

/** `live`: the page's feed is up, and asks for health.list again when it changes (client/refresh-on-changes.ts). */
export function HealthSummary({ live }: { live: boolean }) {
  const health = useQuery({ queryKey: ['health.list'], queryFn: () => api.health.list.query(), refetchInterval: pollEvery(live, 2000) });
  const byService = new Map<string, { up: number; down: string[]; total: number }>();
  for (const backend of health.data ?? []) {
    const entry = byService.get(backend.service) ?? { up: 0, down: [], total: 0 };
    entry.total++;
    if (backend.up) entry.up++;
    else entry.down.push(backend.endpoint);
    byService.set(backend.service, entry);
  }
  const totalDown = [...byService.values()].reduce((n, s) => n + s.down.length, 0);
  /* In a fleet one elected node checks and every node applies its results (fleet-health.ts): say which. */
  const checkers = [...new Set((health.data ?? []).flatMap((h) => (h.checkedBy === null ? [] : [h.checkedBy])))];
  return (
    <section className="card" aria-labelledby="health-title">
      <h2 id="health-title">
        Health{' '}
        {health.data && health.data.length > 0 && (
          <span className={`badge ${totalDown ? 'badge-down' : 'badge-up'}`} data-testid="health-total">
            {totalDown ? `${totalDown} down` : 'all up'}
          </span>
        )}
      </h2>
      {checkers.length > 0 && (
        <p className="muted" data-testid="health-checked-by">
          checked by {checkers.join(', ')}
        </p>
      )}
      <QueryState query={health} loadingLabel="Loading health…">
        {() =>
          byService.size === 0 ? (
            <EmptyState title="No backends to check yet" />
          ) : (
            <ul className="health-list">
              {[...byService].map(([service, entry]) => (
                <li key={service}>
                  <Link href={servicePath(service)}>{service}</Link>
                  <span className="health-count">
                    {entry.up} of {entry.total} up
                  </span>
                  {entry.down.length > 0 && <span className="text-bad">down: {entry.down.join(', ')}</span>}
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
    </section>
  );
}

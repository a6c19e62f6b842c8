/* Admin state and health are separate facts and get separate badges: a backend can be READY but DOWN. */
import type { AdminState } from '@sluice/api';

export function AdminStateBadge({ state }: { state: AdminState }) {
  return <span className={`badge badge-state-${state}`}>{state.toUpperCase()}</span>;
}

export function HealthBadge({ up, pending, checked }: { up: boolean; pending: boolean; checked: boolean }) {
  if (!checked)
    return (
      <span className="badge badge-muted" title="This service has no health check: backends count as up">
        NO CHECK
      </span>
    );
  if (pending)
    return (
      <span className="badge badge-pending" title="Not checked yet: gets no new connections until its first check passes">
        PENDING
      </span>
    );
  return <span className={`badge ${up ? 'badge-up' : 'badge-down'}`}>{up ? 'UP' : 'DOWN'}</span>;
}

/*
 * An active-connection count. In dsr, ipip and gue the replies bypass the
 * balancer, so it sees the client's packets only (SYN, FIN, RST, idle
 * timeouts) and the count is an estimate: shown "~N est.", as IPVS marks its
 * counts in DR and TUN.
 */
import { count } from '@/client/format.ts';

export const ESTIMATE_HELP =
  "Estimate: in dsr, ipip and gue the replies bypass the balancer, so it counts connections from the client's packets alone (SYN, FIN, RST, idle timeouts).";

export function ActiveCount({ value, estimate }: { value: number; estimate: boolean }) {
  if (!estimate) return <>{count(value)}</>;
  return (
    <span title={ESTIMATE_HELP} data-estimate="true">
      ~{count(value)} <abbr className="muted">est.</abbr>
      <span className="sr-only"> (an estimate: replies bypass the balancer)</span>
    </span>
  );
}

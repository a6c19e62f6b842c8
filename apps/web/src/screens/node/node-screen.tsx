/*
 * Node: this balancer node. The agent and its data plane (issue 15's node
 * panel), its VRRP role in an active/standby pair (issue 13), its
 * announcement to the routers over BGP and node drain (issue 12's node view),
 * and the fleet it shares its desired state with (issue 16). Polled every second like the other live pages, so a
 * drain's progress and a peer's state change show without a reload.
 */
'use client';
import { useQuery } from '@tanstack/react-query';
import { api } from '@/client/api-client.ts';
import { LiveDot } from '@/components/ui/live-dot.tsx';
import { PageHeader } from '@/components/ui/page-header.tsx';
import { QueryState } from '@/components/ui/query-state.tsx';
import { AgentPanel } from './agent-panel.tsx';
import { AnnouncementPanel } from './announcement-panel.tsx';
import { FleetPanel } from './fleet-panel.tsx';
import { NodeDrain } from './node-drain.tsx';
import { SyncPanel } from './sync-panel.tsx';
import { VrrpPanel } from './vrrp-panel.tsx';

const STATUS_EVERY_MS = 1000;
/* Uptime and the flow count (the GC counts every few seconds) need no faster refresh. */
const INFO_EVERY_MS = 3000;
const SERVICES_EVERY_MS = 5000;

export function NodeScreen() {
  const status = useQuery({ queryKey: ['node.status'], queryFn: () => api.node.status.query(), refetchInterval: STATUS_EVERY_MS });
  const info = useQuery({ queryKey: ['agent.info'], queryFn: () => api.agent.info.query(), refetchInterval: INFO_EVERY_MS });
  const check = useQuery({ queryKey: ['node.check'], queryFn: () => api.node.check.query(), refetchInterval: STATUS_EVERY_MS });
  const services = useQuery({ queryKey: ['services.list'], queryFn: () => api.services.list.query(), refetchInterval: SERVICES_EVERY_MS });
  return (
    <>
      <PageHeader
        title="Node"
        subtitle="This balancer node: its agent and data plane, and how the routers see it."
        actions={<LiveDot connected={status.isSuccess && !status.isError} />}
      />
      <QueryState query={info} loadingLabel="Loading the agent's facts…">
        {(data) => <AgentPanel info={data} />}
      </QueryState>
      <QueryState query={status} loadingLabel="Loading the node's announcement state…">
        {(data) => (
          <>
            <VrrpPanel vrrp={data.vrrp} check={check.data} />
            <SyncPanel sync={data.sync} />
            <NodeDrain status={data} now={status.dataUpdatedAt} />
            <AnnouncementPanel status={data} services={services.data ?? []} />
            <FleetPanel fleet={data.fleet} />
          </>
        )}
      </QueryState>
    </>
  );
}

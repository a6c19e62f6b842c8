/* connections.list: a filtered page of the flow table, resolved to names. */
import { type ConnectionListInput, type SluiceBackend, invalid, notFound } from '@sluice/api';
import type { Agent } from './agent.js';
import { CursorError } from '../conntrack/index.js';
import type { FlowFilter } from '../conntrack/index.js';

function idNames(agent: Agent) {
  const services = new Map<number, string>();
  const backends = new Map<number, string>();
  for (const [name, { id, backends: ids }] of agent.placement()) {
    services.set(id, name);
    for (const [endpoint, backendId] of ids) backends.set(backendId, endpoint);
  }
  return { services, backends };
}

function filterOf(agent: Agent, input: ConnectionListInput): FlowFilter {
  const filter: FlowFilter = { clientAddress: input.client, protocol: input.protocol, state: input.state, hideClosed: input.hideClosed };
  const ids = agent.placement();
  if (input.service) {
    const service = ids.get(input.service);
    if (!service) throw notFound(`no service ${input.service}`, { service: input.service });
    filter.serviceId = service.id;
  }
  if (input.backend) {
    /* A backend alone matches it in every service it serves (the API contract); with a service, in that one. */
    const pairs = [...ids]
      .filter(([name]) => !input.service || name === input.service)
      .flatMap(([, s]) => {
        const backendId = s.backends.get(input.backend!);
        return backendId === undefined ? [] : [{ serviceId: s.id, backendId }];
      });
    if (pairs.length === 0) throw notFound(`no backend ${input.backend}${input.service ? ` in ${input.service}` : ''}`, { backend: input.backend });
    filter.backendIn = pairs;
  }
  return filter;
}

/*
 * A big table's first page after nobody paged for a while (or after the
 * start) finds no snapshot: it waits for the one the worker builds, about a
 * second at a million flows, rather than show an empty table. Past this, it
 * answers with the table still being counted.
 */
const FIRST_SNAPSHOT_WAIT_MS = 10_000;

function pageOf(agent: Agent, filter: ReturnType<typeof filterOf>, input: ConnectionListInput) {
  try {
    return agent.listFlows(filter, input.cursor, input.limit);
  } catch (error) {
    /* A cursor conntrack/ did not issue. */
    if (error instanceof CursorError) throw invalid(`cursor: ${(error as Error).message}`);
    throw error;
  }
}

export function connectionOperations(agent: Agent): SluiceBackend['connections'] {
  return {
    async list(input) {
      const filter = filterOf(agent, input);
      let page = pageOf(agent, filter, input);
      if (page.indexAgeMs === null && (await agent.awaitFlowSnapshot(FIRST_SNAPSHOT_WAIT_MS))) page = pageOf(agent, filter, input);
      const names = idNames(agent);
      return {
        nextCursor: page.nextCursor,
        table: {
          capacity: agent.flowTableCapacity,
          tracked: page.stateCounts && Object.values(page.stateCounts).reduce((sum, n) => sum + n, 0),
          byState: page.stateCounts,
          snapshotAgeMs: page.indexAgeMs,
        },
        items: page.items.map((flow) => ({
          ...flow,
          state: flow.state as any,
          packets: Number(flow.packets),
          bytes: Number(flow.bytes),
          replyPackets: Number(flow.replyPackets),
          replyBytes: Number(flow.replyBytes),
          service: names.services.get(flow.serviceId) ?? null,
          backend: names.backends.get(flow.backendId) ?? null,
        })),
      };
    },
  };
}

/*
 * node.*: this balancer node as the routers see it. Drain withdraws every
 * route first (resolving once BIRD has), then the node keeps forwarding the
 * flows it has while the routers send new ones elsewhere; the caller (the
 * CLI) waits for activeFlows to reach 0 or its timeout. Resume announces
 * again. Both are audited. Draining lives in memory: a restarted agent
 * announces once it is ready (the "swap, announce" of an upgrade).
 */
import { type NodeStatus, SluiceError, type SluiceBackend } from '@sluice/api';
import type { Agent } from './agent.js';

const NODE_TARGET = 'node';

export function nodeOperations(agent: Agent): SluiceBackend['node'] {
  return {
    status: () => agent.nodeStatus(),

    check: () => agent.nodeCheck(),

    role: (input, caller) => agent.reportVrrpRole(input, caller.user),

    async drain(input, caller): Promise<NodeStatus> {
      requireSpeaker(agent, 'drain');
      const before = agent.draining;
      await agent.commit(caller, () => ({
        result: undefined,
        audit: [{ action: 'node.drain', target: NODE_TARGET, before: { draining: before }, after: { draining: true, timeoutMs: input.timeoutMs ?? null } }],
      }));
      await agent.setDraining(true, input.timeoutMs ?? null);
      return agent.nodeStatus({ fresh: true });
    },

    async resume(caller): Promise<NodeStatus> {
      requireSpeaker(agent, 'resume');
      const before = agent.draining;
      await agent.commit(caller, () => ({
        result: undefined,
        audit: [{ action: 'node.resume', target: NODE_TARGET, before: { draining: before }, after: { draining: false } }],
      }));
      await agent.setDraining(false);
      return agent.nodeStatus({ fresh: true });
    },
  };
}

function requireSpeaker(agent: Agent, verb: string): void {
  if (!agent.announces)
    throw new SluiceError(
      'INVALID',
      `node ${verb}: this agent announces nothing (it runs without --bgp-config), so no router would move traffic; start it with --bgp-config FILE`,
    );
}

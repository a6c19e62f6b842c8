/* A tRPC client over the test agent's socket, for polling fast (the CLI starts a process per call). */
import { readFileSync } from 'node:fs';
import { createSocketClient } from '@sluice/agent/client';
import { type ConnectionListInput, type FlowView, MAX_FLOW_PAGE } from '@sluice/api';
import { type AgentNetwork as Network, AgentProcess } from './agent-process.ts';

export function apiClient(network: Network) {
  const { socket, tokenFile } = AgentProcess.paths(network);
  return createSocketClient({ socketPath: socket, token: readFileSync(tokenFile, 'utf8').trim() });
}

/**
 * Every flow the agent lists for the filter, page after page: a test that
 * looks for its own connections among a stream's thousands must not stop at
 * the first page.
 */
export async function allConnections(network: Network, filter: Omit<ConnectionListInput, 'limit' | 'cursor'>): Promise<FlowView[]> {
  const client = apiClient(network);
  const items: FlowView[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.connections.list.query({ ...filter, limit: MAX_FLOW_PAGE, cursor });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until every backend of the service is eligible: a backend added to a
 * service with a check takes new flows only after its first passing check.
 */
export async function waitForEligible(network: Network, service: string, count: number, timeoutMs = 5000): Promise<void> {
  const { ok, value } = await waitFor(
    () => apiClient(network).services.get.query({ service }),
    (s) => s.backendCount === count && s.eligibleBackends === count,
    { timeoutMs },
  );
  if (!ok) throw new Error(`${service}: ${value.eligibleBackends} of ${value.backendCount} backends eligible after ${timeoutMs} ms, expected ${count}`);
}

/** Polls `read` every `everyMs` until `done` holds or `timeoutMs` passes; returns the last value and when it held. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, options: { everyMs?: number; timeoutMs: number }) {
  const start = Date.now();
  let value = await read();
  while (!done(value) && Date.now() - start < options.timeoutMs) {
    await sleep(options.everyMs ?? 50);
    value = await read();
  }
  return { value, ok: done(value), at: Date.now() };
}

/*
 * "converged N of M at revision R" after each change to the fleet's desired
 * state (issue 16). A change through a fleet node returns once that node has
 * applied it, so the fleet's revision R read right after it includes the
 * change; the CLI then waits up to CONVERGE_WAIT_MS for every registered node
 * to hold R, and says plainly when they did not. A node that keeps its own
 * state (SQLite) prints nothing more and is asked nothing more (its answers
 * lack the fleet header).
 */
import { CONVERGE_WAIT_MS, convergenceAfterChange } from '@sluice/api';
import type { ConnectionFlags } from './credentials.js';

const POLL_MS = 100;

/* The procedures that change the fleet's desired state (they go through the agent's commit); auth and node drain stay on the node. */
const FLEET_CHANGES = /^(services|backends|config)\./;

let changedThrough: ConnectionFlags | undefined;

/** Called with every answer the CLI gets (connection.ts): remembers that a change of the desired state went through. */
export function noteAnswer(flags: ConnectionFlags, answer: { path: string; mutation: boolean; ok: boolean; fleet: boolean }): void {
  if (answer.fleet && answer.mutation && answer.ok && answer.path.split(',').some((path) => FLEET_CHANGES.test(path))) changedThrough = flags;
}

/** After a command: if it changed the fleet's desired state, waits for the fleet and prints the line (to stderr under --json). */
export async function reportConvergence(json: boolean): Promise<void> {
  const flags = changedThrough;
  changedThrough = undefined;
  if (!flags) return;
  const out = json ? process.stderr : process.stdout;
  try {
    const { connect } = await import('./connection.js');
    const client = await connect(flags, { timeoutMs: CONVERGE_WAIT_MS + 3000 });
    const started = Date.now();
    let fleet = (await client.node.status.query()).fleet;
    if (!fleet) return;
    while (fleet.revision !== null && fleet.converged < fleet.nodes.length && Date.now() - started < CONVERGE_WAIT_MS) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      fleet = (await client.node.status.query()).fleet!;
    }
    out.write(`${convergenceAfterChange(fleet, Date.now() - started)}\n`);
  } catch (error) {
    process.stderr.write(`sluice: the change went through; convergence unknown (${(error as Error).message})\n`);
  }
}

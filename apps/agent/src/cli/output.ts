/* Every command prints either JSON (--json, for scripts) or a human table. */
export function emit(json: boolean, data: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}

/** A backend's health in one word: pending (not checked yet, no new flows), up or down. */
export function healthWord(health: { up: boolean; pending: boolean }): string {
  return health.pending ? 'pending' : health.up ? 'up' : 'down';
}

/*
 * In dsr, ipip and gue the replies bypass the balancer: its active counts come
 * from the client's packets alone (SYN, FIN, RST, idle timeouts). Marked "~N",
 * with this line under the table, as ipvsadm's counts are estimates in DR and TUN.
 */
export const ESTIMATE_NOTE =
  "~ estimate: in dsr, ipip and gue the replies bypass the balancer, so active counts come from the client's packets alone (SYN, FIN, RST, idle timeouts)";

/** An active count as the tables show it: "~N" when it is an estimate. */
export const activeText = (row: { activeFlows: number; activeIsEstimate: boolean }) => (row.activeIsEstimate ? `~${row.activeFlows}` : row.activeFlows);

/** The table, and the estimate note under it when a row's count is one. */
export const withEstimateNote = (table: string, rows: readonly { activeIsEstimate: boolean }[]) =>
  rows.some((row) => row.activeIsEstimate) ? `${table}\n${ESTIMATE_NOTE}` : table;

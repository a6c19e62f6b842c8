/* Every command prints either JSON (--json, for scripts) or a human table. */
export function emit(json: boolean, data: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}

/** A backend's health in one word: pending (not checked yet, no new flows), up or down. */
export function healthWord(health: { up: boolean; pending: boolean }): string {
  return health.pending ? 'pending' : health.up ? 'up' : 'down';
}

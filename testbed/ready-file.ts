/*
 * The processes the tests start (an agent, a held connection) create a file
 * once they are ready, so a test waits for exactly that instead of guessing
 * with a sleep, and gives up as soon as the process has died.
 */
import { existsSync } from 'node:fs';

/* Often enough that a test does not wait noticeably, rarely enough to cost nothing. */
const DEFAULT_POLL_MS = 20;

/** True once `path` exists; false if `alive()` turns false or timeoutMs passes first. */
export async function waitForReadyFile(path: string, options: { alive(): boolean; timeoutMs: number; pollMs?: number }): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  while (!existsSync(path) && options.alive() && Date.now() < deadline) await sleep(options.pollMs ?? DEFAULT_POLL_MS);
  return existsSync(path);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/*
 * A counter's rate between two readings, for traffic (traffic.ts) and error
 * signals (backend-errors.ts) alike. Plain module functions, not closures
 * made per call: the sampler computes several per backend every second
 * (about 40,000 at 256 services x 16 backends), and the compiled agent
 * (esbuild keepNames) names every closure it creates.
 */

/* A counter that went down was reset (a reused id, an agent restart): all of its value is the increase, as in Prometheus's rate(). */
export function increase(before: number, now: number): number {
  return now >= before ? now - before : now;
}

/** The counter's increase per second; 0 without an earlier reading or time between them. */
export function perSecond(before: number | undefined, now: number, seconds: number): number {
  return before !== undefined && seconds > 0 ? increase(before, now) / seconds : 0;
}

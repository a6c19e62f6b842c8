/*
 * The data plane's capacity rule, in one place: how many services, backends
 * and backends per service the maps hold. The operations check a change
 * against it before writing anything (so the caller learns the limit, not a
 * rolled-back reconcile), and the reconciler checks the whole desired state
 * with the same function before it writes a map (a defensive check: the same
 * words from the same source if it ever fires).
 */
import { limitReached } from '@sluice/api';

export interface CapacityLimits {
  maxServices: number;
  maxBackends: number;
  maxBackendsPerService: number;
}

/** A state to check: its counts, and the service with the most backends. */
export interface CapacityUse {
  services: number;
  backends: number;
  largestService?: { name: string; backends: number };
}

/** What is over the limit, in the words every caller reports; undefined if the state fits. */
export function capacityProblem(limits: CapacityLimits, use: CapacityUse): { message: string; limit: number; current: number } | undefined {
  const { maxServices, maxBackends, maxBackendsPerService } = limits;
  if (use.services > maxServices)
    return { message: `the data plane holds at most ${maxServices} services; this would make ${use.services}`, limit: maxServices, current: use.services };
  if (use.backends > maxBackends)
    return { message: `the data plane holds at most ${maxBackends} backends; this would make ${use.backends}`, limit: maxBackends, current: use.backends };
  const largest = use.largestService;
  if (largest && largest.backends > maxBackendsPerService)
    return {
      message: `service ${largest.name} may have at most ${maxBackendsPerService} backends (maxBackendsPerService in the settings file); this would give it ${largest.backends}`,
      limit: maxBackendsPerService,
      current: largest.backends,
    };
  return undefined;
}

/** Throws LIMIT_REACHED (the API's error) if the state does not fit. */
export function checkCapacity(limits: CapacityLimits, use: CapacityUse): void {
  const problem = capacityProblem(limits, use);
  if (problem) throw limitReached(problem.message, { limit: problem.limit, current: problem.current });
}

/*
 * Whose fault a failure is. The rules, applied exactly as written here:
 *
 * - A failed request (HTTP, UDP, or a long-lived connection that never got
 *   its greeting) counts against Sluice UNLESS the backend its flow went to
 *   (looked up by its 5-tuple in the flow table right after the failure) had
 *   its server killed at some moment between the request's start and its
 *   failure. A failure with no flow, or on a backend whose server was alive
 *   throughout, counts: dropping a packet, steering to an ineligible backend,
 *   or breaking a flow through a reweight, drain, maintenance, algorithm
 *   switch, agent restart, config reload or a graceful remove is Sluice's.
 * - A long-lived connection that ended before the soak stopped it counts as
 *   broken UNLESS, between its greeting and its end, the backend that greeted
 *   it had its server killed or was removed from the connection's service.
 *   A drain, maintenance, reweight, algorithm switch, agent restart or config
 *   reload must keep it: the README promises established flows keep their
 *   backend through all of them (maintenance, like drain, keeps existing
 *   flows and takes no new ones: BACKEND_F_KEEP_FLOWS).
 */

export interface Interval {
  backend: string;
  /** Only for removals: the service the backend was removed from. */
  service?: string;
  from: number;
  /** null: still so at the end of the soak. */
  to: number | null;
}

export interface RequestFailure {
  kind: 'http' | 'udp' | 'hold';
  service: string;
  sport: number;
  start: number;
  end: number;
  reason: string;
  /** Backend name (be1...) of the failure's flow, or null when no flow was found. */
  backend: string | null;
  backendEndpoint: string | null;
}

export interface HoldEnd {
  id: string;
  service: string;
  backend: string;
  openedAt: number;
  t: number;
  broken: boolean;
  reason: string;
  sent: number;
  received: number;
}

const overlaps = (interval: Interval, from: number, to: number) => interval.from <= to && (interval.to ?? Infinity) >= from;

/** Why a failure is not Sluice's, or null when it is. */
export function excuseForRequest(failure: RequestFailure, deaths: Interval[]): string | null {
  if (failure.backend === null) return null;
  const death = deaths.find((d) => d.backend === failure.backend && overlaps(d, failure.start, failure.end));
  return death ? `server of ${failure.backend} killed at ${new Date(death.from).toISOString()}` : null;
}

/** Why a long-lived connection's end is not a break by Sluice, or null when it is one. */
export function excuseForHold(hold: HoldEnd, deaths: Interval[], removals: Interval[]): string | null {
  if (!hold.broken) return 'ended by the soak';
  const death = deaths.find((d) => d.backend === hold.backend && overlaps(d, hold.openedAt, hold.t));
  if (death) return `server of ${hold.backend} killed at ${new Date(death.from).toISOString()}`;
  const removal = removals.find((r) => r.backend === hold.backend && r.service === hold.service && overlaps(r, hold.openedAt, hold.t));
  if (removal) return `${hold.backend} removed from ${hold.service} at ${new Date(removal.from).toISOString()}`;
  return null;
}

/*
 * Rates from absolute counters. A counter that went down was reset (the
 * reconciler zeroes the counters of a reused id): its whole current value
 * counts as the increase, as Prometheus's rate() does, so a rate is never
 * negative.
 */
export function increase(previous: bigint | undefined, current: bigint): number {
	if (previous === undefined) return 0;
	return Number(current >= previous ? current - previous : current);
}

export interface TrafficTotals {
	packets: number;
	bytes: number;
	replyPackets: number;
	replyBytes: number;
	newFlows: number;
	drops: number;
	activeFlows: number;
}

export const ZERO_TOTALS: Readonly<TrafficTotals> = Object.freeze({ packets: 0, bytes: 0, replyPackets: 0, replyBytes: 0, newFlows: 0, drops: 0, activeFlows: 0 });

/*
 * Idle timeouts by protocol and TCP state. A flow is idle when neither of
 * its entries has seen a packet for its state's timeout.
 *
 * Defaults follow IPVS (`ipvsadm --set`, net/netfilter/ipvs/ip_vs_proto_tcp.c)
 * where it has one and conntrack where it is shorter:
 *   established 900 s  IPVS's value. Longer (conntrack keeps 5 days) fills the
 *                      table with dead peers' flows; an application idle for
 *                      longer needs TCP keepalives below this. A flow deleted
 *                      while alive is not lost outright: its next packet starts
 *                      a mid-stream flow, on the same backend for maglev and
 *                      source-hash.
 *   syn_sent 30 s      Covers the SYN retries of one connect() (1+2+4+8+16 s);
 *                      a half-open flood then leaves the table within 30 s.
 *   fin_wait 60 s      One side closed; TIME_WAIT-length (2 x MSL) for the rest.
 *   closed 10 s        IPVS's and conntrack's CLOSE: late retransmissions of
 *                      the last FIN/ACK still find the flow, then it goes.
 *   udp 60 s           Between conntrack (30 s, 120 s once replied) and IPVS
 *                      (300 s): DNS-like exchanges leave fast, streams that
 *                      send once a minute stay.
 *
 * The data plane applies the same values (expirySettingsOf, written by the GC
 * into expiry_settings): a packet that finds its flow idle past them treats
 * it as gone even when no GC has run (the agent down, or between sweeps).
 */
import type { ExpirySettings } from '@sluice/dataplane';
import { IPPROTO_TCP, TCP_STATE } from './flow-bytes.js';

export interface FlowTimeouts {
  tcpEstablishedMs: number;
  tcpSynSentMs: number;
  tcpFinWaitMs: number;
  tcpClosedMs: number;
  udpMs: number;
}

export const DEFAULT_FLOW_TIMEOUTS: Readonly<FlowTimeouts> = Object.freeze({
  tcpEstablishedMs: 900_000,
  tcpSynSentMs: 30_000,
  tcpFinWaitMs: 60_000,
  tcpClosedMs: 10_000,
  udpMs: 60_000,
});

export function resolveTimeouts(partial: Partial<FlowTimeouts> = {}): FlowTimeouts {
  const timeouts = { ...DEFAULT_FLOW_TIMEOUTS, ...partial };
  for (const [name, value] of Object.entries(timeouts)) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`flow timeout ${name} must be a positive number of ms, got ${value}`);
  }
  return timeouts;
}

/** Timeouts in ns, looked up per entry in the sweep's hot loop. */
export class TimeoutTable {
  readonly #tcpByState: number[];
  readonly #udpNs: number;

  constructor(timeouts: FlowTimeouts) {
    const ns = (ms: number) => ms * 1e6;
    this.#tcpByState = [];
    this.#tcpByState[TCP_STATE.TCP_STATE_NONE] = ns(timeouts.tcpEstablishedMs);
    this.#tcpByState[TCP_STATE.TCP_STATE_SYN_SENT] = ns(timeouts.tcpSynSentMs);
    this.#tcpByState[TCP_STATE.TCP_STATE_ESTABLISHED] = ns(timeouts.tcpEstablishedMs);
    this.#tcpByState[TCP_STATE.TCP_STATE_FIN_WAIT] = ns(timeouts.tcpFinWaitMs);
    this.#tcpByState[TCP_STATE.TCP_STATE_CLOSED] = ns(timeouts.tcpClosedMs);
    this.#udpNs = ns(timeouts.udpMs);
  }

  /** The timeout of a flow in `tcpState`. */
  forFlow(protocol: number, tcpState: number): number {
    if (protocol === IPPROTO_TCP) return this.#tcpByState[tcpState] ?? this.#tcpByState[TCP_STATE.TCP_STATE_ESTABLISHED]!;
    return this.#udpNs;
  }
}

/** The timeouts as the data plane's expiry_settings entry (ns). */
export function expirySettingsOf(timeouts: FlowTimeouts): ExpirySettings {
  const ns = (ms: number) => BigInt(Math.round(ms * 1e6));
  return {
    tcp_syn_sent_ns: ns(timeouts.tcpSynSentMs),
    tcp_established_ns: ns(timeouts.tcpEstablishedMs),
    tcp_fin_wait_ns: ns(timeouts.tcpFinWaitMs),
    tcp_closed_ns: ns(timeouts.tcpClosedMs),
    udp_ns: ns(timeouts.udpMs),
  };
}

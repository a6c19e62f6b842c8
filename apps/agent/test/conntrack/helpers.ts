/*
 * Shared by the conntrack tests: a real data plane (maps only, nothing
 * attached) with a service and backends written by the real reconciler,
 * and flow entries written as the program writes them.
 */
import { type DataplaneConfig, dataplaneConfigSchema } from '@sluice/api';
import { type Dataplane, type FlowKey, type FlowValue, SluiceFlowFlags, SluiceTcpState, addressToBytes, loadDataplane } from '../../src/dataplane/index.js';
import { Reconciler } from '../../src/reconcile/reconciler.js';
import { SMALL_MAPS, objectPath } from '../dataplane/helpers.js';

export const SECOND_NS = 1_000_000_000n;

export function loadWithService(config: unknown, flows = 65536): { dp: Dataplane; reconciler: Reconciler; ids: ReturnType<Reconciler['ids']> } {
	const dp = loadDataplane({ objectPath: objectPath(), maxEntries: { ...SMALL_MAPS, flows } });
	const reconciler = new Reconciler(dp.maps, Reconciler.limitsOf(dp.maps, 1024));
	reconciler.apply(dataplaneConfigSchema.parse(config) as DataplaneConfig);
	return { dp, reconciler, ids: reconciler.ids() };
}

export const SERVICE = {
	address: '198.18.100.1',
	port: 80,
	protocol: 'tcp',
	algorithm: 'round-robin',
	backends: [
		{ address: '198.18.1.1', port: 8080 },
		{ address: '198.18.1.2', port: 8080 },
		{ address: '198.18.1.3', port: 8080 },
	],
} as const;

export const STATE = {
	none: SluiceTcpState.TCP_STATE_NONE,
	synSent: SluiceTcpState.TCP_STATE_SYN_SENT,
	established: SluiceTcpState.TCP_STATE_ESTABLISHED,
	finWait: SluiceTcpState.TCP_STATE_FIN_WAIT,
	closed: SluiceTcpState.TCP_STATE_CLOSED,
} as const;

export interface FlowSpec {
	client: string;
	clientPort: number;
	vip: string;
	vipPort: number;
	protocol: 'tcp' | 'udp';
	backend: string;
	backendPort: number;
	serviceId: number;
	backendId: number;
	tcpState: number;
	createdNs: bigint;
	forwardLastSeenNs: bigint;
	/** null: no reply entry. */
	replyLastSeenNs: bigint | null;
	packets?: bigint;
}

export function keysOf(spec: FlowSpec): { forward: FlowKey; reply: FlowKey } {
	const client = addressToBytes(spec.client);
	const proto = spec.protocol === 'tcp' ? 6 : 17;
	return {
		forward: { src: client.bytes, dst: addressToBytes(spec.vip).bytes, src_port: spec.clientPort, dst_port: spec.vipPort, protocol: proto, family: client.family },
		reply: { src: addressToBytes(spec.backend).bytes, dst: client.bytes, src_port: spec.backendPort, dst_port: spec.clientPort, protocol: proto, family: client.family },
	};
}

/** Both entries of each flow, as start_flow() writes them. */
export function flowEntries(spec: FlowSpec): [FlowKey, FlowValue][] {
	const { forward, reply } = keysOf(spec);
	/* No next hop cached yet: the program fills it on the first forwarded packet. */
	const noNextHop = { next_hop_checked_ns: 0n, next_hop_ifindex: 0, next_hop_max_len: 0, next_hop_dst_mac: new Uint8Array(6), next_hop_src_mac: new Uint8Array(6) };
	const base = { created_ns: spec.createdNs, backend_id: spec.backendId, service_id: spec.serviceId, ...noNextHop };
	const entries: [FlowKey, FlowValue][] = [
		[forward, { ...base, last_seen_ns: spec.forwardLastSeenNs, packets: spec.packets ?? 3n, bytes: (spec.packets ?? 3n) * 100n, tcp_state: spec.tcpState, flags: 0 }],
	];
	if (spec.replyLastSeenNs !== null) {
		entries.push([reply, { ...base, last_seen_ns: spec.replyLastSeenNs, packets: 2n, bytes: 200n, tcp_state: 0, flags: SluiceFlowFlags.FLOW_F_REPLY }]);
	}
	return entries;
}

export function writeFlows(dp: Dataplane, specs: FlowSpec[]): void {
	const entries = specs.flatMap(flowEntries);
	for (let i = 0; i < entries.length; i += 65536) dp.maps.flows.updateMany(entries.slice(i, i + 65536));
}

export function idsOf(ids: ReturnType<Reconciler['ids']>, name = '198.18.100.1:80/tcp'): { service: number; backends: number[] } {
	const service = ids.get(name);
	if (!service) throw new Error(`no service ${name}`);
	return { service: service.id, backends: [...service.backends.values()] };
}

export function activeOf(dp: Dataplane, backendId: number): number {
	return Number(dp.maps.backendActive.lookup(backendId) ?? 0n);
}

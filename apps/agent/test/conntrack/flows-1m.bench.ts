/*
 * Measures listFlows and the GC sweep with a million real flows (two million
 * entries) in a real flows map. Not part of the suite (no timing asserts):
 *   node --import tsx apps/agent/test/conntrack/flows-1m.bench.ts [flows]
 */
import { ConntrackGc, listFlows } from '../../src/conntrack/index.js';
import { type FlowSpec, SECOND_NS, STATE, flowEntries, idsOf, loadWithService } from './helpers.js';

const FLOWS = Number(process.argv[2] ?? 1_000_000);
const BACKENDS = 30;
const service = {
	address: '198.18.100.1',
	port: 80,
	protocol: 'tcp',
	backends: Array.from({ length: BACKENDS }, (_, i) => ({ address: `198.18.1.${i + 1}`, port: 8080 })),
};

const { dp, ids } = loadWithService({ services: [service] }, Math.ceil(FLOWS * 2.2));
const { service: serviceId, backends } = idsOf(ids);
const now = process.hrtime.bigint();
const states = [STATE.established, STATE.established, STATE.established, STATE.finWait, STATE.closed];

let t = performance.now();
const chunk = 50_000;
for (let start = 0; start < FLOWS; start += chunk) {
	const entries = [];
	for (let i = start; i < Math.min(FLOWS, start + chunk); i++) {
		const b = i % BACKENDS;
		const spec: FlowSpec = {
			client: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
			clientPort: 1024 + (i % 60000),
			vip: service.address,
			vipPort: 80,
			protocol: 'tcp',
			backend: service.backends[b]!.address,
			backendPort: 8080,
			serviceId,
			backendId: backends[b]!,
			tcpState: states[i % states.length]!,
			createdNs: now - 100n * SECOND_NS,
			forwardLastSeenNs: now - SECOND_NS,
			replyLastSeenNs: now - SECOND_NS,
		};
		entries.push(...flowEntries(spec));
	}
	dp.maps.flows.updateMany(entries);
}
console.log(`wrote ${FLOWS} flows (${FLOWS * 2} entries) in ${(performance.now() - t).toFixed(0)} ms`);
const open = FLOWS - Math.floor(FLOWS / 5);
for (const id of backends) dp.maps.backendActive.update(id, BigInt(Math.round(open / BACKENDS)));

const time = (label: string, run: () => unknown, repeat = 1) => {
	const samples: number[] = [];
	let result: unknown;
	for (let i = 0; i < repeat; i++) {
		const start = performance.now();
		result = run();
		samples.push(performance.now() - start);
	}
	samples.sort((a, b) => a - b);
	const median = samples[Math.floor(samples.length / 2)]!;
	console.log(`${label}: median ${median.toFixed(2)} ms, max ${samples.at(-1)!.toFixed(2)} ms (${repeat} runs)`);
	return result;
};

const gc = new ConntrackGc(dp.maps, {});
const report = time('sweep, nothing idle (also builds the index)', () => gc.sweep(now)) as ReturnType<typeof gc.sweep>;
console.log(`  scanned ${report.scanned}, flows ${report.flows}, corrections ${report.corrections.length}`);

time('index rebuild alone (a page finding the snapshot too old)', () => listFlows(dp.maps, {}, undefined, 100, { maxIndexAgeMs: 0 }));

const pages: [string, Parameters<typeof listFlows>[1]][] = [
	['no filter', {}],
	['backendId (1 in 30)', { backendId: backends[7] }],
	['state closed (1 in 5)', { state: 'closed' }],
	['client address (1 flow)', { clientAddress: '10.3.2.1' }],
	['client + state, no match', { clientAddress: '10.3.2.1', state: 'syn-sent' }],
];
for (const [label, filter] of pages) {
	let cursor: string | undefined;
	const result = time(`page of 100, ${label}`, () => {
		const page = listFlows(dp.maps, filter, cursor, 100);
		cursor = page.nextCursor ?? undefined;
		return page;
	}, 50) as ReturnType<typeof listFlows>;
	console.log(`  last page: ${result.items.length} items, scanned ${result.scanned}`);
}

const idle = time('sweep, every flow idle (deletes all)', () => gc.sweep(now + 1000n * SECOND_NS)) as ReturnType<typeof gc.sweep>;
console.log(`  deleted ${idle.deletedFlows} flows + ${idle.deletedReplies} replies; activeTaken total ${Object.values(idle.activeTaken).reduce((a, b) => a + b, 0)}`);
const empty = time('sweep, empty table', () => gc.sweep(now));
void empty;
dp.close();

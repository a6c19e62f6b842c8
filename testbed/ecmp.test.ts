// Proves the several-nodes network without Sluice: a BIRD per node (started
// here, with its own hand-written config) peers with the router's BIRD, the
// router installs an N-way ECMP route per VIP, fib_multipath_hash_policy 3
// sends each client 5-tuple to the node the kernel's own lookup predicts (real
// datagrams counted per node), BFD withdraws a node whose input is dropped
// in under a second, and teardown leaves no namespace, link or daemon.
// Run: SLUICE_TEST_TAG=xx node --import tsx --test testbed/ecmp.test.ts
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { birdc, isOurBird, startBird } from './bird.ts';
import { type Ecmp, type EcmpNode, ecmpDown, ecmpUp, routerGateway, routerNextHops } from './ecmp.ts';
import { execIn, execInChecked, listNamespaces, run } from './netns.ts';
import { tagged } from './tag.ts';

const PREFIX = tagged('slec');
const FAIL_PREFIX = tagged('slef');
const NODES = 3;
const T = { timeout: 90_000 };
const UDP_PORT = 9001;
let ecmp: Ecmp;
let rootLinksBefore: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rootLinks = async () =>
  (await run('ip', ['-o', 'link', 'show'])).stdout
    .replace(/^\d+:\s+([^:@]+).*$/gm, '$1')
    .split('\n')
    .sort()
    .join(',');

/** A node's speaker as an operator would write it: the VIPs as unreachable statics, exported with next hop self, BFD on. */
function nodeConfig(node: EcmpNode): string {
  const { bfd } = ecmp;
  return `log stderr all;
router id ${node.uplink.ipv4};
protocol device { scan time 10; }
protocol static vips4 { ipv4; ${ecmp.vips.ipv4.map((v) => `route ${v}/32 unreachable;`).join(' ')} }
protocol static vips6 { ipv6; ${ecmp.vips.ipv6.map((v) => `route ${v}/128 unreachable;`).join(' ')} }
protocol bfd { interface "${node.uplink.interface}" { min rx interval ${bfd.minRxMs} ms; min tx interval ${bfd.minTxMs} ms; multiplier ${bfd.multiplier}; }; }
template bgp up { local as ${ecmp.nodeAs}; hold time 3; keepalive time 1; connect delay time 1; connect retry time 2; error wait time 1, 5; bfd on; }
protocol bgp up4 from up { neighbor ${node.router.ipv4} as ${ecmp.router.as}; ipv4 { import none; export where proto = "vips4"; next hop self; }; }
protocol bgp up6 from up { neighbor ${node.router.ipv6} as ${ecmp.router.as}; ipv6 { import none; export where proto = "vips6"; next hop self; }; }
`;
}

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    await sleep(50);
    value = await read();
  }
  return value;
}

/** Sends one UDP datagram to vip:port from each source port, from the client. */
async function sendFromPorts(vip: string, sourcePorts: number[]): Promise<void> {
  const script = `
    const dgram = require('node:dgram');
    const [vip, port, ...sources] = process.argv.slice(1);
    (async () => {
      for (const source of sources) {
        const s = dgram.createSocket('udp4');
        await new Promise((r) => s.bind(Number(source), r));
        await new Promise((r) => s.send('ecmp', Number(port), vip, r));
        s.close();
      }
    })();`;
  await execInChecked(ecmp.client.namespace, process.execPath, ['-e', script, vip, String(UDP_PORT), ...sourcePorts.map(String)]);
}

/** Counts datagrams to vip:UDP_PORT arriving at each node (nft counter at prerouting). */
async function countArrivals(node: EcmpNode, vip: string): Promise<number> {
  const r = await execIn(node.namespace, 'nft', ['-j', 'list', 'chain', 'inet', 'ecmptest', 'pre']);
  if (r.code !== 0) {
    const rules = `table inet ecmptest { chain pre { type filter hook prerouting priority -300; ip daddr ${vip} udp dport ${UDP_PORT} counter; }\n}\n`;
    await execInChecked(node.namespace, 'nft', ['-f', '-'], { input: rules });
    return 0;
  }
  const counter = (JSON.parse(r.stdout).nftables as { rule?: { expr: { counter?: { packets: number } }[] } }[])
    .flatMap((x) => x.rule?.expr ?? [])
    .find((e) => e.counter);
  return counter!.counter!.packets;
}

before(async () => {
  rootLinksBefore = await rootLinks();
  ecmp = await ecmpUp({ prefix: PREFIX, nodes: NODES, backends: 2 });
  for (const node of ecmp.nodes) await startBird({ stateDir: ecmp.stateDir, name: node.name, namespace: node.namespace, config: nodeConfig(node) });
});

after(async () => {
  await ecmpDown({ prefix: PREFIX });
});

test(`the router peers with every node and installs a ${NODES}-way ECMP route per VIP (IPv4 and IPv6)`, T, async () => {
  const expected4 = ecmp.nodes.map((n) => n.uplink.ipv4).sort();
  const expected6 = ecmp.nodes.map((n) => n.uplink.ipv6).sort();
  await waitFor(
    `${NODES} next hops for ${ecmp.vips.ipv4[0]}`,
    () => routerNextHops(ecmp, ecmp.vips.ipv4[0]!),
    (h) => h.length === NODES,
  );
  for (const vip of ecmp.vips.ipv4) assert.deepEqual(await routerNextHops(ecmp, vip), expected4, vip);
  await waitFor(
    `${NODES} next hops for ${ecmp.vips.ipv6[0]}`,
    () => routerNextHops(ecmp, ecmp.vips.ipv6[0]!),
    (h) => h.length === NODES,
  );
  for (const vip of ecmp.vips.ipv6) assert.deepEqual(await routerNextHops(ecmp, vip), expected6, vip);
  const protocols = await birdc(ecmp.router.bird!.socket, 'show', 'protocols');
  for (const node of ecmp.nodes) {
    assert.match(protocols, new RegExp(`^${node.name}v4\\s+BGP\\s.*\\sup\\s.*Established`, 'm'));
    assert.match(protocols, new RegExp(`^${node.name}v6\\s+BGP\\s.*\\sup\\s.*Established`, 'm'));
  }
  // Nothing else reached the router's table: only the VIP host routes came in.
  const all = JSON.parse((await run('ip', ['-n', ecmp.router.namespace, '-j', 'route', 'show', 'proto', 'bird'])).stdout) as { dst: string }[];
  assert.deepEqual(all.map((r) => r.dst).sort(), [...ecmp.vips.ipv4].sort());
});

test('policy 3 sends each client 5-tuple to the node the kernel predicts, and spreads them over every node', T, async () => {
  const vip = ecmp.vips.ipv4[0]!;
  const sources = Array.from({ length: 60 }, (_, k) => 20_000 + k);
  const predict = async (sport: number) => {
    const gateway = await routerGateway(ecmp, vip, { protocol: 'udp', sourcePort: sport, port: UDP_PORT });
    assert.ok(gateway, `the router has a route for ${vip} sport ${sport}`);
    return gateway;
  };
  const predicted = new Map<string, number>(ecmp.nodes.map((n) => [n.uplink.ipv4, 0]));
  for (const sport of sources) {
    const gateway = await predict(sport);
    assert.equal(await predict(sport), gateway, `sport ${sport}: the same tuple must always take the same node`);
    predicted.set(gateway, (predicted.get(gateway) ?? 0) + 1);
  }
  const before = await Promise.all(ecmp.nodes.map((n) => countArrivals(n, vip)));
  const hopsBefore = await routerNextHops(ecmp, vip);
  await sendFromPorts(vip, sources);
  await sleep(200);
  // A session that flapped meanwhile would move tuples: say so rather than report a wrong prediction.
  const hopsAfter = await routerNextHops(ecmp, vip);
  assert.equal(hopsBefore.length, NODES, `next hops before sending: ${hopsBefore}`);
  assert.deepEqual(hopsAfter, hopsBefore, `the router's next hops changed while sending:\n${await birdc(ecmp.router.bird!.socket, 'show', 'protocols')}`);
  const arrived = (await Promise.all(ecmp.nodes.map((n) => countArrivals(n, vip)))).map((c, k) => c - before[k]!);
  console.log(`# ${sources.length} tuples over ${NODES} nodes: predicted ${[...predicted.values()].join('/')}, arrived ${arrived.join('/')}`);
  assert.deepEqual(
    arrived,
    ecmp.nodes.map((n) => predicted.get(n.uplink.ipv4)),
  );
  // Spread: every node takes a real share (an even split is 20 each).
  for (const [k, count] of arrived.entries()) assert.ok(count >= 5, `node n${k + 1} got only ${count} of ${sources.length} tuples`);
});

test('BFD withdraws a node whose input is dropped in under a second; it comes back once input flows again', T, async () => {
  const vip = ecmp.vips.ipv4[0]!;
  const victim = ecmp.nodes[1]!;
  await waitFor(
    'all next hops',
    () => routerNextHops(ecmp, vip),
    (h) => h.length === NODES,
  );
  const drop = 'table inet bfdtest { chain input { type filter hook input priority 0; policy drop; }\n}\n';
  const started = performance.now();
  await execInChecked(victim.namespace, 'nft', ['-f', '-'], { input: drop });
  const hops = await waitFor(
    `${victim.name} withdrawn`,
    () => routerNextHops(ecmp, vip),
    (h) => !h.includes(victim.uplink.ipv4),
    5_000,
  );
  const withdrawnMs = performance.now() - started;
  console.log(`# BFD (${ecmp.bfd.minTxMs} ms x ${ecmp.bfd.multiplier}) withdrew ${victim.name} from the router in ${withdrawnMs.toFixed(0)} ms`);
  assert.equal(hops.length, NODES - 1);
  assert.ok(withdrawnMs < 1_000, `withdrawal took ${withdrawnMs.toFixed(0)} ms, the bound is 1000 ms`);
  await execInChecked(victim.namespace, 'nft', ['delete', 'table', 'inet', 'bfdtest']);
  await waitFor(
    `${victim.name} back`,
    () => routerNextHops(ecmp, vip),
    (h) => h.length === NODES,
    30_000,
  );
});

test('teardown removes every namespace and daemon, and the root namespace gained no link', T, async () => {
  const configs = [ecmp.router.bird!.config, ...ecmp.nodes.map((n) => `${ecmp.stateDir}/bird/${n.name}.conf`)];
  const pids = (await run('pgrep', ['-x', 'bird'])).stdout.split('\n').filter(Boolean).map(Number);
  const ours = pids.filter((pid) => configs.some((config) => isOurBird(pid, config)));
  assert.equal(ours.length, NODES + 1, `expected the router's and ${NODES} nodes' BIRD running, found pids ${ours}`);
  const removed = await ecmpDown({ prefix: PREFIX });
  assert.equal(removed.length, 1 + 1 + NODES + ecmp.backends.length);
  assert.deepEqual(
    (await listNamespaces()).filter((ns) => ns.startsWith(`${PREFIX}-`)),
    [],
  );
  for (const pid of ours) assert.throws(() => process.kill(pid, 0), `BIRD ${pid} still running`);
  assert.equal(await rootLinks(), rootLinksBefore);
  assert.deepEqual(await ecmpDown({ prefix: PREFIX }), []);
});

test('a failing up tears down what it made, its router BIRD included, and names the failing command', T, async () => {
  const stateDir = `/run/sluice-testbed/${FAIL_PREFIX}`;
  await assert.rejects(ecmpUp({ prefix: FAIL_PREFIX, nodes: 2, backends: 1, serverScript: '/nonexistent/backend-server.mjs' }), (err: Error) => {
    assert.match(err.message, /ecmp up failed: backend server be1 did not start/);
    assert.ok(err.message.includes(`ip netns exec ${FAIL_PREFIX}-be1 `), err.message);
    return true;
  });
  assert.deepEqual(
    (await listNamespaces()).filter((ns) => ns.startsWith(`${FAIL_PREFIX}-`)),
    [],
  );
  const pids = (await run('pgrep', ['-x', 'bird'])).stdout.split('\n').filter(Boolean).map(Number);
  assert.deepEqual(
    pids.filter((pid) => isOurBird(pid, `${stateDir}/bird/router.conf`)),
    [],
    'the router BIRD was stopped',
  );
  assert.equal(await rootLinks(), rootLinksBefore);
});

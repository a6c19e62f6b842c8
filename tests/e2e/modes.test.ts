/*
 * The forwarding modes end to end, with the real agent and real traffic on
 * the modes fabric (client -> router -> balancer; backends on the balancer's
 * segment and one routed backend, all answering through the router): for
 * dsr, ipip and gue, each algorithm over IPv4 and IPv6 spreads new
 * connections as tests/e2e/distribution.test.ts promises for nat, while the
 * replies bypass the balancer (its reply counters stay 0, its forward
 * counters match what the client saw); a long-lived connection survives a
 * reweight, an algorithm switch and a drain; UDP works; the MTU black hole of
 * tunnelling is reproduced and then gone; a mode switch leaves open
 * connections in their mode and sends new ones in the new mode.
 *
 * A TCP client only accepts segments from the address it connected to, so
 * every answered request is also proof that the backend answered from the
 * VIP; the backend's report of the client's address proves the balancer
 * changed nothing of the inner packet's addresses.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Algorithm } from '@sluice/api';
import { apiClient } from '@sluice/testbed/api-client';
import { type BulkReport, type Hold, hold, http, lineProbe, stopAll, udp } from '@sluice/testbed/client-traffic';
import { execInChecked, spawnIn } from '@sluice/testbed/netns';
import { assertAllSucceeded, assertWithin, record, usedBackends } from './support/distribution.ts';
import { backendHost, FAMILIES, type Family, MODES, type Mode, type ModesNetwork, modesNetworkDown, modesNetworkUp, vip } from './support/modes-fabric.ts';

const HTTP = 8080;
const LINE = 9000;
/* Not the backend server's 9001: its wildcard-bound socket would answer from the host's address (support/vip-udp-server.mjs). */
const UDP = 9002;
const UPLOAD = 8090;
const T = { timeout: 180_000 };
const CONCURRENCY = 6;
/* Sampling noise of 3000 hashed flows is about ±2.6% per backend; the promise is ±15% (as distribution.test.ts). */
const TOLERANCE = 0.15;
const ALGORITHMS: Algorithm[] = ['round-robin', 'weighted-round-robin', 'least-connections', 'source-hash', 'maglev'];
const ON_LINK = ['be1', 'be2', 'be3'];
/* dsr reaches on-link backends only; the tunnels also take the routed one. */
const BACKENDS: Record<Mode, string[]> = { dsr: ON_LINK, ipip: [...ON_LINK, 'far'], gue: [...ON_LINK, 'far'] };
const WEIGHTS: Record<string, number> = { be1: 1, be2: 2, be3: 3, far: 4 };

/*
 * VIP numbers: mode m (1..3) uses m0+1..m0+5 for the algorithms (HTTP),
 * m0+6 for the long-lived connection (line), m0+7 for UDP; 41 the upload
 * (ipip), 51 the mode switch.
 */
const modeBase = (mode: Mode) => 10 * (MODES.indexOf(mode) + 1);
const algorithmVip = (mode: Mode, algorithm: Algorithm) => modeBase(mode) + ALGORITHMS.indexOf(algorithm) + 1;
const holdVip = (mode: Mode) => modeBase(mode) + 6;
const udpVip = (mode: Mode) => modeBase(mode) + 7;
const UPLOAD_VIP = 41;
const SWITCH_VIP = 51;
const VIP_COUNT = 51;

let net: ModesNetwork;
const holds: Hold[] = [];
const servers: ChildProcess[] = [];

const backendOf = (name: string) => net.fabric.backends.find((b) => b.name === name)!;
const endpoint = (name: string, family: Family, port: number) => {
  const address = backendOf(name)[family];
  return family === 'ipv4' ? `${address}:${port}` : `[${address}]:${port}`;
};
const serviceName = (family: Family, n: number, port: number, protocol: 'tcp' | 'udp' = 'tcp') =>
  family === 'ipv4' ? `${vip(family, n)}:${port}/${protocol}` : `[${vip(family, n)}]:${port}/${protocol}`;

function serviceSpec(family: Family, n: number, port: number, mode: Mode, algorithm: Algorithm, names: string[], protocol: 'tcp' | 'udp' = 'tcp') {
  return {
    address: vip(family, n),
    port,
    protocol,
    algorithm,
    mode,
    /* Health checks through the data path are another test's; here every backend is simply ready. */
    healthCheck: { type: 'none' },
    backends: names.map((name) => ({
      address: backendAddress(name, family),
      port,
      weight: algorithm === 'weighted-round-robin' ? WEIGHTS[name]! : 1,
      state: 'ready',
    })),
  };
}

/* The fabric's addresses are fixed by its plan; the config is written before the fabric exists. */
const BACKEND_ADDRESSES: Record<string, Record<Family, string>> = {
  be1: { ipv4: '198.19.0.11', ipv6: '2001:db8:1::11' },
  be2: { ipv4: '198.19.0.12', ipv6: '2001:db8:1::12' },
  be3: { ipv4: '198.19.0.13', ipv6: '2001:db8:1::13' },
  far: { ipv4: '198.19.9.2', ipv6: '2001:db8:9::2' },
};
const backendAddress = (name: string, family: Family) => BACKEND_ADDRESSES[name]![family];

function services() {
  return FAMILIES.flatMap((family) => [
    ...MODES.flatMap((mode) => [
      ...ALGORITHMS.map((algorithm) => serviceSpec(family, algorithmVip(mode, algorithm), HTTP, mode, algorithm, BACKENDS[mode])),
      serviceSpec(family, holdVip(mode), LINE, mode, 'weighted-round-robin', BACKENDS[mode]),
      serviceSpec(family, udpVip(mode), UDP, mode, 'round-robin', BACKENDS[mode], 'udp'),
    ]),
    serviceSpec(family, UPLOAD_VIP, UPLOAD, 'ipip', 'round-robin', ['be1']),
    serviceSpec(family, SWITCH_VIP, LINE, 'dsr', 'round-robin', ON_LINK),
  ]);
}

const stats = () => apiClient(net).stats.totals.query();

/** The balancer's own view of a service: packets it forwarded and replies it saw, per backend name. */
async function balancerView(family: Family, n: number, port: number, protocol: 'tcp' | 'udp' = 'tcp') {
  const totals = await stats();
  const name = serviceName(family, n, port, protocol);
  const service = totals.services.find((s) => s.service === name);
  assert.ok(service, `no stats for ${name}`);
  const newFlows: Record<string, number> = {};
  for (const b of totals.backends.filter((x) => x.service === name)) {
    const backend = Object.keys(BACKEND_ADDRESSES).find((k) => endpoint(k, family, port) === b.endpoint);
    if (backend && b.newFlows > 0) newFlows[backend] = b.newFlows;
  }
  return { service, newFlows, global: totals.global };
}

/** Replies bypassed the balancer (no reply packet of the service, nor any at all, reached its XDP on either interface); forward counts match the client's. */
async function assertBypassed(family: Family, n: number, port: number, clientCounts: Record<string, number>, what: string) {
  const view = await balancerView(family, n, port);
  console.log(`balancer ${what}: packets=${view.service.packets} replyPackets=${view.service.replyPackets} newFlows=${JSON.stringify(view.newFlows)}`);
  assert.equal(view.service.replyPackets, 0, `${what}: the balancer saw replies`);
  assert.equal(view.global.reply_packets, 0, `${what}: the balancer saw replies (global)`);
  assert.ok(view.service.packets > 0, `${what}: nothing forwarded`);
  assert.deepEqual(view.newFlows, clientCounts, `${what}: the balancer's new flows per backend differ from the client's answers`);
}

const assertFromClient = (report: BulkReport, family: Family, what: string) =>
  assert.deepEqual(Object.keys(report.byClient ?? {}), [net.fabric.client[family]], `${what}: the backend saw another source than the client`);

const SERVER_SECONDS = 900;
const UDP_SERVER = fileURLToPath(new URL('./support/vip-udp-server.mjs', import.meta.url));
const UPLOAD_SERVER = fileURLToPath(new URL('./support/upload-server.mjs', import.meta.url));
const UPLOAD_CLIENT = fileURLToPath(new URL('./support/upload-client.mjs', import.meta.url));

/** Starts a support server in a namespace; resolves once it prints "listening". */
function startServer(namespace: string, script: string, args: string[]): Promise<void> {
  const child = spawnIn(namespace, process.execPath, [script, ...args, '--seconds', String(SERVER_SECONDS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} in ${namespace} not listening after 10 s: ${output}`)), 10_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('listening')) clearTimeout(timer), resolve();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${script} in ${namespace} exited ${code}: ${output}`))));
  });
}

before(async () => {
  net = await modesNetworkUp({ vips: VIP_COUNT, config: { services: services() } });
  const udpVips = FAMILIES.flatMap((family) => MODES.flatMap((mode) => ['--vip', vip(family, udpVip(mode))]));
  for (const b of net.fabric.backends) await startServer(b.namespace, UDP_SERVER, ['--name', b.name, '--port', String(UDP), ...udpVips]);
  await startServer(backendOf('be1').namespace, UPLOAD_SERVER, ['--name', 'be1', '--port', String(UPLOAD)]);
});

after(async () => {
  await stopAll(holds);
  for (const s of servers) if (s.exitCode === null) s.kill();
  await modesNetworkDown(net);
});

for (const mode of MODES) {
  for (const family of FAMILIES) {
    describe(`${mode} over ${family}`, () => {
      const names = BACKENDS[mode];
      const to = (algorithm: Algorithm) => vip(family, algorithmVip(mode, algorithm));

      test(`round-robin: ${100 * names.length} new connections split exactly 100 each; replies bypass the balancer`, T, async () => {
        const count = 100 * names.length;
        const report = await http(net.fabric.client, to('round-robin'), HTTP, { count, concurrency: 4, source: net.fabric.client[family] });
        const counts = record(`${mode} round-robin ${family}`, report);
        assertAllSucceeded(report, count, 'round-robin');
        assertFromClient(report, family, 'round-robin');
        assert.deepEqual(counts, Object.fromEntries(names.map((n) => [n, 100])));
        await assertBypassed(family, algorithmVip(mode, 'round-robin'), HTTP, counts, `${mode} round-robin ${family}`);
      });

      test('weighted-round-robin: 3000 new connections within ±15% of the weights', T, async () => {
        const report = await http(net.fabric.client, to('weighted-round-robin'), HTTP, {
          count: 3000,
          concurrency: CONCURRENCY,
          source: net.fabric.client[family],
        });
        const counts = record(`${mode} weighted-round-robin ${names.map((n) => WEIGHTS[n]).join(':')} ${family}`, report);
        assertAllSucceeded(report, 3000, 'weighted-round-robin');
        assertFromClient(report, family, 'weighted-round-robin');
        const total = names.reduce((sum, n) => sum + WEIGHTS[n]!, 0);
        assertWithin(counts, Object.fromEntries(names.map((n) => [n, (3000 * WEIGHTS[n]!) / total])), TOLERANCE, 'weighted-round-robin');
        await assertBypassed(family, algorithmVip(mode, 'weighted-round-robin'), HTTP, counts, `${mode} weighted-round-robin ${family}`);
      });

      test('least-connections: 300 new connections all succeed and use every backend', T, async () => {
        const report = await http(net.fabric.client, to('least-connections'), HTTP, { count: 300, concurrency: 4, source: net.fabric.client[family] });
        const counts = record(`${mode} least-connections ${family}`, report);
        assertAllSucceeded(report, 300, 'least-connections');
        assertFromClient(report, family, 'least-connections');
        assert.deepEqual(usedBackends(counts), [...names].sort());
        await assertBypassed(family, algorithmVip(mode, 'least-connections'), HTTP, counts, `${mode} least-connections ${family}`);
      });

      test('source-hash: each of 10 client addresses sticks to one backend; several are used', T, async () => {
        const sources = net.extraClients[family];
        const reports = await Promise.all(sources.map((source) => http(net.fabric.client, to('source-hash'), HTTP, { count: 30, concurrency: 3, source })));
        const total: Record<string, number> = {};
        const chosen: Record<string, string[]> = {};
        reports.forEach((report, k) => {
          assertAllSucceeded(report, 30, `source-hash from ${sources[k]}`);
          chosen[sources[k]!] = usedBackends(report.byBackend);
          for (const [name, n] of Object.entries(report.byBackend)) total[name] = (total[name] ?? 0) + n;
        });
        record(`${mode} source-hash ${family} (10 sources x 30)`, { ...reports[0]!, byBackend: total });
        for (const [source, backends] of Object.entries(chosen)) assert.equal(backends.length, 1, `${source} was answered by ${backends.join(', ')}`);
        assert.ok(usedBackends(total).length > 1, `all 10 sources went to ${usedBackends(total).join(', ')}`);
        await assertBypassed(family, algorithmVip(mode, 'source-hash'), HTTP, total, `${mode} source-hash ${family}`);
      });

      test(`maglev: 3000 new connections use every backend, each within ±15% of 1/${names.length}`, T, async () => {
        const report = await http(net.fabric.client, to('maglev'), HTTP, { count: 3000, concurrency: CONCURRENCY, source: net.fabric.client[family] });
        const counts = record(`${mode} maglev ${family}`, report);
        assertAllSucceeded(report, 3000, 'maglev');
        assertFromClient(report, family, 'maglev');
        assert.deepEqual(usedBackends(counts), [...names].sort());
        assertWithin(counts, Object.fromEntries(names.map((n) => [n, 3000 / names.length])), TOLERANCE, 'maglev');
        await assertBypassed(family, algorithmVip(mode, 'maglev'), HTTP, counts, `${mode} maglev ${family}`);
      });

      /* 10 per backend, as udp.test.ts: with hundreds of new sockets, one would reuse a source port whose flow is still recorded. */
      test(`UDP: ${10 * names.length} request/replies, each from a new socket, split exactly 10 each; replies bypass the balancer`, T, async () => {
        const count = 10 * names.length;
        const report = await udp(net.fabric.client, vip(family, udpVip(mode)), UDP, {
          count,
          concurrency: 3,
          newSocket: true,
          source: net.fabric.client[family],
        });
        const counts = record(`${mode} udp round-robin ${family}`, report);
        assertAllSucceeded(report, count, 'udp');
        assert.deepEqual(counts, Object.fromEntries(names.map((n) => [n, 10])));
        const view = await balancerView(family, udpVip(mode), UDP, 'udp');
        assert.equal(view.service.replyPackets, 0, 'the balancer saw UDP replies');
        assert.deepEqual(view.newFlows, counts);
      });
    });
  }
}

test('the tunnels reached their backends stripped in XDP (be1) and in TC (be2), IPIP, IP6IP6 and GUE over both families', T, async () => {
  const readings = await Promise.all(
    ['be1', 'be2'].map(async (name) => {
      const run = await backendHost(backendOf(name).namespace, name, ['check', '--json']);
      const output = JSON.parse(run.stdout) as { checks: { name: string; detail: string }[]; counters: Record<string, number> };
      return { name, attached: output.checks.find((c) => c.name === 'decapsulation program attached')?.detail ?? '', counters: output.counters };
    }),
  );
  for (const { name, attached, counters } of readings) console.log(`decap ${name}: ${attached}; ${JSON.stringify(counters)}`);
  const [be1, be2] = readings;
  assert.match(be1!.attached, /^eth0 \(xdp\)/);
  assert.match(be2!.attached, /^eth0 \(tc\)/);
  for (const { name, counters } of readings) {
    for (const key of ['ipip', 'ip6ip6', 'gue_ipv4', 'gue_ipv6']) assert.ok(counters[key]! > 0, `${name}: no ${key} stripped: ${JSON.stringify(counters)}`);
    for (const key of ['drop_truncated_inner', 'drop_bad_inner', 'drop_strip_failed']) assert.equal(counters[key], 0, `${name}: ${key}`);
  }
});

for (const mode of MODES) {
  test(`${mode}: a long-lived TCP connection survives a reweight, an algorithm switch and a drain of its own backend`, T, async () => {
    const family: Family = 'ipv4';
    const source = net.fabric.client[family];
    const address = vip(family, holdVip(mode));
    const service = serviceName(family, holdVip(mode), LINE);
    const api = apiClient(net);
    const held = await hold(net.fabric.client, address, LINE, { seconds: 120, intervalMs: 100, source });
    holds.push(held);
    const mine = endpoint(held.backend, family, LINE);
    await held.exchanged(5);
    await api.backends.setWeight.mutate({ service, endpoint: mine, weight: 9 });
    await held.exchanged(5);
    await api.services.update.mutate({ service, algorithm: 'maglev' });
    await held.exchanged(5);
    await api.backends.setState.mutate({ service, endpoint: mine, state: 'drain' });
    await held.exchanged(5);
    /* New connections go elsewhere while the drained backend keeps the open one. */
    const probe = await lineProbe(net.fabric.client, address, LINE, { count: 40, concurrency: 4, source });
    record(`${mode} new connections after draining ${held.backend}`, probe);
    assertAllSucceeded(probe, 40, 'after the drain');
    assert.equal(probe.byBackend[held.backend], undefined, `a new connection went to the drained ${held.backend}`);
    await held.exchanged(5);
    const report = await held.stop();
    console.log(`hold ${mode} on ${held.backend}: sent=${report.sent} received=${report.received} errors=${report.errors}`);
    assert.equal(report.errors, 0, JSON.stringify(report));
    assert.equal(report.broken, false, JSON.stringify(report));
    const view = await balancerView(family, holdVip(mode), LINE);
    assert.equal(view.service.replyPackets, 0);
  });
}

/** Each backend's decapsulation counters (`sluice backend-host check --json`), by backend name. */
async function decapCounters(): Promise<Record<string, Record<string, number>>> {
  /* At once: each check is a process of its own, seconds on a loaded machine. */
  const readings = await Promise.all(
    net.fabric.backends.map(async (b) => {
      const run = await backendHost(b.namespace, b.name, ['check', '--json']);
      assert.ok(run.code === 0 || run.code === 1, `check on ${b.name} exited ${run.code}: ${run.stderr}`);
      const counters = (JSON.parse(run.stdout) as { counters: Record<string, number> | null }).counters;
      assert.ok(counters, `${b.name}: no decapsulation counters`);
      return [b.name, counters] as const;
    }),
  );
  return Object.fromEntries(readings);
}

/** How much each backend's tunnel counters (ipip, ip6ip6, gue_ipv4, gue_ipv6) grew between two readings. */
function tunnelGrowth(before: Record<string, Record<string, number>>, after: Record<string, Record<string, number>>) {
  const growth: Record<string, Record<string, number>> = {};
  for (const [name, counters] of Object.entries(after)) {
    for (const key of ['ipip', 'ip6ip6', 'gue_ipv4', 'gue_ipv6']) {
      const grew = counters[key]! - before[name]![key]!;
      if (grew !== 0) growth[name] = { ...growth[name], [key]: grew };
    }
  }
  return growth;
}

test('a mode switch under traffic: open connections keep their mode and keep working, new ones use the new mode', T, async () => {
  const family: Family = 'ipv4';
  const source = net.fabric.client[family];
  const address = vip(family, SWITCH_VIP);
  const service = serviceName(family, SWITCH_VIP, LINE);
  const api = apiClient(net);

  const inDsr = await hold(net.fabric.client, address, LINE, { seconds: 120, intervalMs: 100, source });
  holds.push(inDsr);
  await inDsr.exchanged(3);
  await api.services.update.mutate({ service, mode: 'gue' });
  /* Only the dsr connection talks now: no backend strips a tunnel for it. */
  let before = await decapCounters();
  await inDsr.exchanged(10);
  assert.deepEqual(tunnelGrowth(before, await decapCounters()), {}, 'the open dsr connection was tunnelled after the switch');

  /* A new connection is GUE-tunnelled: only its backend's gue_ipv4 grows while it talks. */
  const inGue = await hold(net.fabric.client, address, LINE, { seconds: 120, intervalMs: 100, source });
  holds.push(inGue);
  await api.services.update.mutate({ service, mode: 'ipip' });
  await inGue.exchanged(2);
  before = await decapCounters();
  await inGue.exchanged(10);
  await inDsr.exchanged(1);
  const gueGrowth = tunnelGrowth(before, await decapCounters());
  console.log(`mode switch: the gue connection (${inGue.backend}) after the switch to ipip: ${JSON.stringify(gueGrowth)}`);
  assert.deepEqual(Object.keys(gueGrowth), [inGue.backend], 'only the gue connection was tunnelled');
  assert.deepEqual(Object.keys(gueGrowth[inGue.backend]!), ['gue_ipv4'], 'the connection opened in gue stayed in gue after the switch to ipip');
  assert.ok(gueGrowth[inGue.backend]!.gue_ipv4! >= 10);

  /* New connections now: IP-in-IP. */
  before = await decapCounters();
  const probe = await lineProbe(net.fabric.client, address, LINE, { count: 30, concurrency: 3, source });
  assertAllSucceeded(probe, 30, 'new connections after the switch to ipip');
  const after = tunnelGrowth(before, await decapCounters());
  console.log(`mode switch: 30 new connections after the switch to ipip: ${JSON.stringify(probe.byBackend)} decap ${JSON.stringify(after)}`);
  for (const name of usedBackends(probe.byBackend))
    assert.ok((after[name]?.ipip ?? 0) >= 3 * probe.byBackend[name]!, `${name}: ${JSON.stringify(after[name])}`);

  for (const h of [inDsr, inGue]) {
    await h.exchanged(3);
    const report = await h.stop();
    assert.equal(report.errors, 0, JSON.stringify(report));
    assert.equal(report.broken, false, JSON.stringify(report));
  }
});

/*
 * The MTU black hole of tunnelling, per family, on an ipip service whose one
 * backend is be1: a full-size client segment (1500 bytes) no longer fits the
 * balancer's 1500-byte segment once the outer header is added.
 * 1. Reproduced: the router drops ICMP "fragmentation needed" / "packet too
 *    big" (an nftables rule, as a firewall that filters ICMP does) and the
 *    backend advertises the MSS of its own MTU (the advmss `sluice
 *    backend-host attach` set is taken off first): the balancer's answer never
 *    reaches the client, which resends the same too-big segment until the
 *    upload times out. From the client this is exactly a balancer that does
 *    not answer (as one started with --icmp-too-big-rate 0 would be), and it
 *    is the path-MTU black hole as it happens in the field.
 * 2. The backend fix, ICMP still dropped: `sluice backend-host check` advises
 *    an advmss; applied, the same upload completes and nothing is too big.
 * 3. The balancer fix, advmss removed and ICMP let through: the upload
 *    completes, the balancer counted its too-big answers, and the client
 *    learned the tunnel's MTU.
 */
for (const family of FAMILIES) {
  test(`MTU over ${family}: a 20 kB upload through ipip black-holes without the fixes, then works with advmss and with the too-big answer`, T, async () => {
    const address = vip(family, UPLOAD_VIP);
    const client = net.fabric.client.namespace;
    const router = net.fabric.router.namespace;
    const be1 = backendOf('be1');
    const gateway = net.fabric.router.segment[family];
    const v = family === 'ipv4' ? '-4' : '-6';
    const tunnelMtu = family === 'ipv4' ? 1480 : 1460;
    const url = family === 'ipv4' ? `http://${address}:${UPLOAD}/` : `http://[${address}]:${UPLOAD}/`;
    const upload = async () => {
      const run = await execInChecked(client, process.execPath, [UPLOAD_CLIENT, '--url', url, '--bytes', '20000', '--timeout-ms', '5000'], {
        timeoutMs: 20_000,
      });
      return JSON.parse(run.stdout) as { ok: boolean; answer: { backend: string; bytes: number } | null; error: string | null; ms: number };
    };
    const tooBig = async () => (await stats()).global.tunnel_too_big ?? 0;
    const table = `e2emtu${family === 'ipv4' ? 4 : 6}`;
    const rule = family === 'ipv4' ? 'icmp type destination-unreachable icmp code frag-needed counter drop' : 'icmpv6 type packet-too-big counter drop';
    const nft = (command: string) => execInChecked(router, 'sh', ['-c', `nft ${command}`]);
    const dropped = async () => Number(/packets (\d+)/.exec((await nft(`list table inet ${table}`)).stdout)?.[1]);

    /* The MSS of be1's own MTU, as on a host that attach did not prepare. */
    const withoutAdvmss = () =>
      execInChecked(be1.namespace, 'ip', [v, 'route', 'change', 'default', 'via', gateway, 'dev', 'eth0', ...(family === 'ipv6' ? ['metric', '1024'] : [])]);

    /* 1. The black hole. */
    await withoutAdvmss();
    await nft(`add table inet ${table}`);
    await nft(`'add chain inet ${table} forward { type filter hook forward priority 0; }'`);
    await nft(`add rule inet ${table} forward ${rule}`);
    const answered0 = await tooBig();
    const holed = await upload();
    console.log(
      `mtu ${family} black hole: ${JSON.stringify(holed)}; tunnel_too_big +${(await tooBig()) - answered0}, ICMP dropped by the router ${await dropped()}`,
    );
    assert.equal(holed.ok, false, 'the upload went through the black hole');
    assert.ok((await tooBig()) > answered0, 'the balancer answered too-big');
    assert.ok((await dropped()) > 0, 'the router dropped the answers');

    /* 2. advmss as `sluice backend-host check` advises it. */
    const check = await backendHost(be1.namespace, 'be1', ['check', '--json', '--interface', 'eth0', '--vip', address]);
    const advice = (JSON.parse(check.stdout) as { checks: { name: string; ok: boolean; fix?: string }[] }).checks.find((c) =>
      c.name.startsWith(`MSS to IPv${family === 'ipv4' ? 4 : 6} clients`),
    );
    assert.ok(advice && !advice.ok && advice.fix?.includes('advmss'), JSON.stringify(advice));
    await execInChecked(be1.namespace, 'sh', ['-c', advice.fix!]);
    const answered1 = await tooBig();
    const clamped = await upload();
    console.log(`mtu ${family} with "${advice.fix}": ${JSON.stringify(clamped)}; tunnel_too_big +${(await tooBig()) - answered1}`);
    assert.equal(clamped.ok, true, JSON.stringify(clamped));
    assert.deepEqual(clamped.answer, { backend: 'be1', bytes: 20000 });
    assert.equal(await tooBig(), answered1, 'with the MSS that fits nothing was too big');

    /* 3. No advmss; the balancer's too-big answer reaches the client. */
    await withoutAdvmss();
    await nft(`delete table inet ${table}`);
    const answered2 = await tooBig();
    const answeredUpload = await upload();
    const learned = (await execInChecked(client, 'ip', [v, 'route', 'get', address])).stdout;
    console.log(
      `mtu ${family} with the too-big answer: ${JSON.stringify(answeredUpload)}; tunnel_too_big +${(await tooBig()) - answered2}; client route: ${learned.trim()}`,
    );
    assert.equal(answeredUpload.ok, true, JSON.stringify(answeredUpload));
    assert.deepEqual(answeredUpload.answer, { backend: 'be1', bytes: 20000 });
    assert.ok((await tooBig()) > answered2, 'the balancer answered too-big');
    assert.match(learned, new RegExp(`mtu ${tunnelMtu}\\b`), 'the client learned the tunnel MTU');
  });
}

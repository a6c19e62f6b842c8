/*
 * `sluice backend-host` on a backend host of its own: two namespaces joined
 * by a veth, a "fabric" side (the balancer's place) and the backend host. The
 * check names each problem with its fix, and applying the printed fixes
 * clears them; attach in XDP, then in TC, makes GUE tunnels to the host
 * deliver their inner packets to a server bound to the VIP on the loopback
 * (GUE over IPv4 carrying IPv4 and IPv6: the TC path must tell the stack the
 * inner family), which answers the client directly; detach leaves nothing
 * attached or pinned, and the same tunnels then get no answer. attach sets
 * an advmss that fits the tunnel on the default routes (the XDP run opts out
 * with --keep-mss to show check's advice) and detach puts back what the
 * operator had there.
 *
 * The GUE frames are ordinary UDP datagrams to the host's GUE port whose
 * payload is the client's whole IP packet (GUE variant 1 has no GUE header),
 * so the kernel of the fabric side builds the outer headers.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { buildPacket } from '@sluice/dataplane/test-packets';
import { execIn, execInChecked, run, runChecked, spawnIn } from '@sluice/testbed/netns';
import { tagged } from '@sluice/testbed/tag';

const SLUICE = fileURLToPath(new URL('../../apps/agent/bin/sluice.mjs', import.meta.url));
const FABRIC = tagged('slbhf');
const HOST = tagged('slbhh');
const HOST_IF = 'bh0';
const FABRIC_IF = 'bf0';
const ADDR = { fabric4: '10.77.0.1', host4: '10.77.0.2', fabric6: 'fd77::1', host6: 'fd77::2' };
const VIP4 = '203.0.113.77';
const VIP6 = '2001:db8:77::77';
const GUE_PORT = 6080;
const SERVICE_PORT = 7777;
const T = { timeout: 120_000 };

const dir = mkdtempSync(join(tmpdir(), 'sluice-backend-host-'));
const runDir = join(dir, 'run');
const pinDir = join(runDir, 'bpf');
let server: ChildProcess | undefined;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const sluiceOnHost = (args: string[]): Promise<Run> =>
  execIn(HOST, process.execPath, [SLUICE, 'backend-host', ...args, '--run-dir', runDir], { timeoutMs: 60_000 });
const onHost = (command: string, args: string[]) => execInChecked(HOST, command, args);

interface CheckOutput {
  checks: { name: string; ok: boolean; detail: string; fix?: string }[];
  counters: Record<string, number> | null;
}

async function checkOnHost(): Promise<{ code: number | null; results: CheckOutput['checks']; counters: CheckOutput['counters'] }> {
  const run = await sluiceOnHost(['check', '--vip', VIP4, '--vip', VIP6, '--interface', HOST_IF, '--json']);
  assert.ok(run.code === 0 || run.code === 1, `check exited ${run.code}: ${run.stderr}`);
  const output = JSON.parse(run.stdout) as CheckOutput;
  return { code: run.code, results: output.checks, counters: output.counters };
}

/*
 * From the fabric side: each client packet inside a GUE datagram to the
 * host, then the answers that reach the clients' own sockets within
 * `waitMs` (bounded: the script exits by itself).
 */
async function sendThroughGue(waitMs: number): Promise<string[]> {
  const clients = [
    { family: 4, src: ADDR.fabric4, dst: VIP4, port: 5554 },
    { family: 6, src: ADDR.fabric6, dst: VIP6, port: 5556 },
  ];
  const packets = clients.map((c) =>
    buildPacket({ src: c.src, dst: c.dst, srcPort: c.port, dstPort: SERVICE_PORT, protocol: 'udp', payload: `hello v${c.family}` })
      .subarray(14)
      .toString('hex'),
  );
  const script = `
    const dgram = require('node:dgram');
    const [packets, clients, host, guePort, waitMs] = JSON.parse(process.argv[1]);
    const answers = [];
    const sockets = clients.map((c) => {
      const s = dgram.createSocket(c.family === 4 ? 'udp4' : 'udp6');
      s.on('message', (m) => answers.push(m.toString()));
      s.bind(c.port, c.src);
      return s;
    });
    const tunnel = dgram.createSocket('udp4');
    setTimeout(() => packets.forEach((hex) => tunnel.send(Buffer.from(hex, 'hex'), guePort, host)), 200);
    setTimeout(() => { console.log(JSON.stringify(answers.sort())); process.exit(0); }, 200 + waitMs);
  `;
  const result = await execInChecked(FABRIC, process.execPath, ['-e', script, JSON.stringify([packets, clients, ADDR.host4, GUE_PORT, waitMs])], {
    timeoutMs: waitMs + 10_000,
  });
  return JSON.parse(result.stdout) as string[];
}

const EXPECTED_ANSWERS = [`echo from ${VIP6}: hello v6`, `echo from ${VIP4}: hello v4`].sort();

async function xdpProgramId(): Promise<number | undefined> {
  const [link] = JSON.parse((await onHost('ip', ['-j', '-d', 'link', 'show', 'dev', HOST_IF])).stdout) as { xdp?: { prog?: { id: number } } }[];
  return link?.xdp?.prog?.id;
}

/** The advmss of the host's default route of `family`, or undefined. */
async function advmss(family: 4 | 6): Promise<number | undefined> {
  const [route] = JSON.parse((await onHost('ip', ['-j', `-${family}`, 'route', 'show', 'default'])).stdout) as {
    metrics?: { advmss?: number }[];
  }[];
  return route?.metrics?.find((m) => m.advmss !== undefined)?.advmss;
}

async function tcFilters(): Promise<string> {
  return (await onHost('tc', ['filter', 'show', 'dev', HOST_IF, 'ingress'])).stdout.trim();
}

before(async () => {
  await tearDown();
  mkdirSync(pinDir, { recursive: true });
  /* ip netns exec mounts in a namespace of its own: the bpffs for the pins is mounted here, where every command sees it. */
  await runChecked('mount', ['-t', 'bpf', 'bpffs', pinDir]);
  await runChecked('ip', ['netns', 'add', FABRIC]);
  await runChecked('ip', ['netns', 'add', HOST]);
  await runChecked('ip', ['-n', FABRIC, 'link', 'add', 'name', FABRIC_IF, 'type', 'veth', 'peer', 'name', HOST_IF, 'netns', HOST]);
  for (const [ns, ifname, v4, v6] of [
    [FABRIC, FABRIC_IF, ADDR.fabric4, ADDR.fabric6],
    [HOST, HOST_IF, ADDR.host4, ADDR.host6],
  ] as const) {
    await runChecked('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await runChecked('ip', ['-n', ns, 'link', 'set', ifname, 'up']);
    await runChecked('ip', ['-n', ns, 'addr', 'add', `${v4}/24`, 'dev', ifname]);
    await runChecked('ip', ['-n', ns, 'addr', 'add', `${v6}/64`, 'dev', ifname, 'nodad']);
    await execInChecked(ns, 'ethtool', ['-K', ifname, 'tx', 'off']);
  }
  /* The host's routes to its clients (the fabric side here), as a host's default routes would be. */
  await onHost('ip', ['route', 'add', 'default', 'via', ADDR.fabric4, 'dev', HOST_IF]);
  await onHost('ip', ['-6', 'route', 'add', 'default', 'via', ADDR.fabric6, 'dev', HOST_IF]);
  /* Strict reverse-path filtering, as some distributions ship it: check must flag it. */
  await onHost('sysctl', ['-qw', 'net.ipv4.conf.all.rp_filter=1', `net.ipv4.conf.${HOST_IF}.rp_filter=1`]);
});

async function tearDown(): Promise<void> {
  if (server?.pid && server.exitCode === null) server.kill();
  for (const ns of [FABRIC, HOST]) await run('ip', ['netns', 'del', ns]);
  if (existsSync(pinDir)) await run('umount', [pinDir]);
}

after(async () => {
  await tearDown();
  rmSync(dir, { recursive: true, force: true });
});

test('check before anything: each problem with its fix, and the printed fixes clear them', T, async () => {
  const before = await checkOnHost();
  assert.equal(before.code, 1, 'problems: exit 1');
  const problem = (start: string) => before.results.find((r) => r.name.startsWith(start));
  assert.match(problem('decapsulation program attached')?.fix ?? '', /^sluice backend-host attach --interface IF --address A/);
  assert.equal(problem(`VIP ${VIP4} on the loopback`)?.fix, `ip addr add ${VIP4}/32 dev lo`);
  assert.equal(problem(`VIP ${VIP6} on the loopback`)?.fix, `ip addr add ${VIP6}/128 dev lo`);
  assert.equal(problem('arp_ignore')?.ok, false);
  assert.equal(problem('arp_announce')?.ok, false);
  assert.equal(problem(`rp_filter on ${HOST_IF}`)?.fix, `sysctl -w net.ipv4.conf.${HOST_IF}.rp_filter=2`);

  for (const result of before.results.filter((r) => !r.ok && !r.name.startsWith('decapsulation'))) {
    await execInChecked(HOST, 'sh', ['-c', result.fix!]);
  }
  const fixed = await checkOnHost();
  assert.deepEqual(
    fixed.results.filter((r) => !r.ok).map((r) => r.name),
    ['decapsulation program attached'],
    'only the attach is left',
  );
  /* A host of dsr services only needs no program: nothing is left. */
  const dsrOnly = await sluiceOnHost(['check', '--vip', VIP4, '--vip', VIP6, '--interface', HOST_IF, '--dsr-only']);
  assert.equal(dsrOnly.code, 0, dsrOnly.stdout);
  assert.doesNotMatch(dsrOnly.stdout, /decapsulation program attached/);
  assert.match(dsrOnly.stdout, /\nno problems\n/);
});

test('attach in XDP: GUE to the host reaches the VIP server, which answers the clients directly; MSS checked and fixed', T, async () => {
  server = spawnIn(HOST, process.execPath, [
    '-e',
    `const dgram = require('node:dgram');
     for (const [type, vip] of [['udp4', '${VIP4}'], ['udp6', '${VIP6}']]) {
       const s = dgram.createSocket(type);
       s.on('message', (m, from) => s.send('echo from ' + vip + ': ' + m, from.port, from.address));
       s.bind(${SERVICE_PORT}, vip);
     }
     setTimeout(() => process.exit(0), 300000);`,
  ]);
  assert.deepEqual(await sendThroughGue(1000), [], 'without the program nothing strips the tunnel: no answer');

  const attach = await sluiceOnHost([
    'attach',
    '--interface',
    HOST_IF,
    '--address',
    ADDR.host4,
    '--address',
    ADDR.host6,
    '--gue-port',
    String(GUE_PORT),
    '--keep-mss',
  ]);
  assert.equal(attach.code, 0, attach.stderr);
  const id = Number(/program id (\d+)/.exec(attach.stdout)?.[1]);
  assert.match(
    attach.stdout,
    new RegExp(
      `^decapsulation attached to ${HOST_IF} \\(xdp, program id \\d+\\) for ${ADDR.host4}, ${ADDR.host6}, GUE port ${GUE_PORT}\nadvmss: left as it is \\(--keep-mss\\)\n`,
    ),
  );
  assert.equal(await xdpProgramId(), id, 'the interface runs the program attach named');
  assert.deepEqual(await sendThroughGue(2000), EXPECTED_ANSWERS);

  /* GUE may arrive over IPv6 too (a v6 tunnel address): at MTU 1500, 1500 - 48 - 40 = 1412 for IPv4 clients, 1500 - 48 - 60 = 1392 for IPv6. */
  const mss = (await checkOnHost()).results.filter((r) => r.name.startsWith('MSS'));
  assert.deepEqual(
    mss.map((r) => r.fix),
    [
      `ip -4 route change default via ${ADDR.fabric4} dev ${HOST_IF} advmss 1412`,
      `ip -6 route change default via ${ADDR.fabric6} dev ${HOST_IF} metric 1024 advmss 1392`,
    ],
  );
  for (const r of mss) await execInChecked(HOST, 'sh', ['-c', r.fix!]);
  const all = await checkOnHost();
  assert.equal(all.code, 0, `no problems left: ${JSON.stringify(all.results.filter((r) => !r.ok))}`);
  /* Both datagrams were GUE over IPv4, stripped by the program (not by anything else on the host). */
  assert.equal(all.counters?.gue_ipv4, 2, JSON.stringify(all.counters));
  assert.equal(all.counters?.drop_truncated_inner, 0);
});

test('attach again in TC: the XDP program goes, the TC filter strips the same tunnels; the advmss is set and said', T, async () => {
  /* What an operator might have: IPv4 clamped to a value too big for the tunnel, IPv6 without advmss. */
  await onHost('ip', ['-4', 'route', 'change', 'default', 'via', ADDR.fabric4, 'dev', HOST_IF, 'advmss', '1460']);
  await onHost('ip', ['-6', 'route', 'change', 'default', 'via', ADDR.fabric6, 'dev', HOST_IF, 'metric', '1024']);
  const attachTc = () =>
    sluiceOnHost(['attach', '--interface', HOST_IF, '--mode', 'tc', '--address', ADDR.host4, '--address', ADDR.host6, '--gue-port', String(GUE_PORT)]);
  const attach = await attachTc();
  assert.equal(attach.code, 0, attach.stderr);
  assert.match(attach.stdout, new RegExp(`decapsulation attached to ${HOST_IF} \\(tc, program id \\d+\\)`));
  const said = attach.stdout.split('\n').filter((line) => line.startsWith('advmss'));
  assert.deepEqual(said, [
    `advmss 1412 on the IPv4 default route via ${ADDR.fabric4} dev ${HOST_IF} (was 1460): client segments fit once tunnelled; detach puts back what was there`,
    `advmss 1392 on the IPv6 default route via ${ADDR.fabric6} dev ${HOST_IF} (was none): client segments fit once tunnelled; detach puts back what was there`,
  ]);
  assert.deepEqual([await advmss(4), await advmss(6)], [1412, 1392]);
  /* Attached again: nothing more to set, and what detach will restore is still the operator's, not 1412/1392. */
  const again = await attachTc();
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /\nadvmss: every default route already fits the tunnel\n/);
  assert.equal(await xdpProgramId(), undefined, 'the XDP program was removed once TC ran');
  assert.match(await tcFilters(), /decap_tc/);
  assert.deepEqual(await sendThroughGue(2000), EXPECTED_ANSWERS);
  const check = await checkOnHost();
  assert.equal(check.code, 0);
  /* The maps are the pinned ones attach reused: the XDP run's 2, then the TC runs' 2. */
  assert.equal(check.counters?.gue_ipv4, 4, JSON.stringify(check.counters));
});

test('detach leaves nothing attached or pinned, puts the advmss back, and the tunnels get no answer again', T, async () => {
  const detach = await sluiceOnHost(['detach']);
  assert.equal(detach.code, 0, detach.stderr);
  assert.equal(
    detach.stdout.trim(),
    `detached from ${HOST_IF} (tc); removed 3 pinned maps; advmss of the IPv4 default route via ${ADDR.fabric4} dev ${HOST_IF} back to 1460; advmss of the IPv6 default route via ${ADDR.fabric6} dev ${HOST_IF} back to none`,
  );
  assert.deepEqual([await advmss(4), await advmss(6)], [1460, undefined]);
  assert.equal(await xdpProgramId(), undefined);
  assert.equal(await tcFilters(), '');
  /* maps.debug and progs.debug are the kernel's own files on every bpffs. */
  assert.deepEqual(
    readdirSync(pinDir).filter((name) => !name.endsWith('.debug')),
    [],
    'no pinned map left',
  );
  assert.equal(existsSync(join(runDir, 'state.json')), false);
  assert.deepEqual(await sendThroughGue(1000), []);
  const check = await checkOnHost();
  assert.equal(check.code, 1);
  assert.equal(check.counters, null, 'no counters once detached');
  assert.deepEqual(
    check.results.filter((r) => !r.ok).map((r) => r.name),
    ['decapsulation program attached'],
  );
});

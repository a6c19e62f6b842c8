// Proves the forwarding-modes network without any XDP program: the paths a
// bypass mode relies on (VIPs routed to the balancer's uplink, backends on its
// segment with the router as their gateway, a routed backend one hop away)
// and real traffic between the hosts; then that teardown leaves nothing.
// Run: node --import tsx --test testbed/fabric.test.ts
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Fabric, fabricDown, fabricUp } from './fabric.ts';
import { execIn, listNamespaces, run } from './netns.ts';
import { tagged } from './tag.ts';

const PREFIX = tagged('slfb');
const CLIENT = fileURLToPath(new URL('./client.mjs', import.meta.url));
const T = { timeout: 60_000 };
let fabric: Fabric;
let rootLinksBefore: string;

const rootLinks = async () =>
  (await run('ip', ['-o', 'link', 'show'])).stdout
    .replace(/^\d+:\s+([^:@]+).*$/gm, '$1')
    .split('\n')
    .sort()
    .join(',');

/** The kernel's route from `ns` to `address`: its device and gateway (none when on-link). */
async function routeFrom(ns: string, address: string): Promise<{ dev: string; gateway?: string }> {
  const r = await execIn(ns, 'ip', ['-j', 'route', 'get', address]);
  assert.equal(r.code, 0, r.stderr);
  const [route] = JSON.parse(r.stdout) as { dev: string; gateway?: string }[];
  return route!;
}

before(async () => {
  rootLinksBefore = await rootLinks();
  fabric = await fabricUp({ prefix: PREFIX, backends: 2, routedBackend: true });
});

after(async () => {
  await fabricDown({ prefix: PREFIX });
});

test('the router sends the VIPs to the balancer uplink, and everything else directly', T, async () => {
  const rt = fabric.router.namespace;
  const vip4 = await routeFrom(rt, fabric.vips.ipv4[0]!);
  assert.equal(vip4.dev, 'up0');
  assert.equal(vip4.gateway, fabric.lb.uplink.ipv4);
  assert.equal((await routeFrom(rt, fabric.vips.ipv6[0]!)).gateway, fabric.lb.uplink.ipv6);
  assert.equal((await routeFrom(rt, fabric.backends[0]!.ipv4)).gateway, undefined);
});

test('on-link backends sit on the balancer segment; the routed one is one router hop away', T, async () => {
  const lb = fabric.lb.namespace;
  for (const b of fabric.backends) {
    for (const address of [b.ipv4, b.ipv6]) {
      const route = await routeFrom(lb, address);
      assert.equal(route.dev, 'eth1', `${b.name} ${address}`);
      assert.equal(
        route.gateway,
        b.onLink ? undefined : address.includes(':') ? fabric.router.segment.ipv6 : fabric.router.segment.ipv4,
        `${b.name} ${address}`,
      );
    }
  }
});

test("a backend's replies to the client go through the router, never the balancer", T, async () => {
  for (const b of fabric.backends) {
    const v4 = await routeFrom(b.namespace, fabric.client.ipv4);
    const v6 = await routeFrom(b.namespace, fabric.client.ipv6);
    assert.notEqual(v4.gateway, fabric.lb.segment.ipv4);
    assert.notEqual(v6.gateway, fabric.lb.segment.ipv6);
    assert.ok(v4.gateway === fabric.router.segment.ipv4 || v4.gateway === '198.19.9.1', `${b.name}: ${JSON.stringify(v4)}`);
  }
});

test('the client reaches every backend by its own address over IPv4 and IPv6, each answering with its name', T, async () => {
  for (const b of fabric.backends) {
    for (const host of [b.ipv4, `[${b.ipv6}]`]) {
      const r = await execIn(fabric.client.namespace, process.execPath, [CLIENT, 'http', '--url', `http://${host}:${b.ports.http}/`, '--count', '3'], {
        timeoutMs: 30_000,
      });
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as { ok: boolean; byBackend: Record<string, number> };
      assert.ok(report.ok, r.stdout);
      assert.deepEqual(report.byBackend, { [b.name]: 3 });
    }
  }
});

test('down removes every namespace and leaves the root namespace as it was', T, async () => {
  const removed = await fabricDown({ prefix: PREFIX });
  assert.equal(removed.length, 3 + 2 + 1);
  assert.deepEqual(
    (await listNamespaces()).filter((n) => n.startsWith(`${PREFIX}-`)),
    [],
  );
  assert.equal(await rootLinks(), rootLinksBefore);
  assert.deepEqual(await fabricDown({ prefix: PREFIX }), [], 'a second down finds nothing');
});

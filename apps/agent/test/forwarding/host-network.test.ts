// The kernel questions asked for many backends at once (real `ip` in the lab's balancer namespace):
// routes in one `ip -batch` (each answer or failure at its own address, whatever the mix), and the
// neighbour table in one read, which the next-hop refresh matches whatever spelling the config used.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KernelNetwork } from '../../src/forwarding/host-network.js';
import { NextHopNeighbours } from '../../src/forwarding/next-hop-neighbours.js';
import { LAB, backendMac, labDown, labUp } from './lab-network.js';

before(labUp);
after(labDown);

describe('host network, many at once', () => {
  it('routes: each address gets its own answer or error, in any order and mix, duplicates once', () => {
    const network = new KernelNetwork({ netns: LAB.balancer });
    const asked = [LAB.unreachable4, LAB.onLink4, LAB.routed6, LAB.unreachable4, LAB.routed4, 'fd99::9', LAB.onLink6];
    const routes = network.routesTo(asked);
    assert.deepEqual([...routes.keys()], [LAB.unreachable4, LAB.onLink4, LAB.routed6, LAB.routed4, 'fd99::9', LAB.onLink6]);
    assert.deepEqual(routes.get(LAB.onLink4), { dev: LAB.balancerDev, prefsrc: LAB.balancer4 });
    assert.deepEqual(routes.get(LAB.routed4), { dev: LAB.balancerDev, gateway: LAB.onLink4, prefsrc: LAB.balancer4 });
    assert.equal((routes.get(LAB.routed6) as { gateway?: string }).gateway, LAB.onLink6);
    assert.equal((routes.get(LAB.onLink6) as { gateway?: string; dev: string }).gateway, undefined);
    for (const unreachable of [LAB.unreachable4, 'fd99::9']) {
      const route = routes.get(unreachable);
      assert.ok(route instanceof Error, `${unreachable} has no route`);
      assert.match(route.message, new RegExp(`the balancer has no route to ${unreachable.replace(/\./g, '\\.')} \\(ip route get: Network is unreachable\\)`));
    }
    /* The one-address form says the same. */
    assert.throws(() => network.routeTo(LAB.unreachable4), /the balancer has no route to 10\.99\.0\.5 \(ip route get: Network is unreachable\)/);
    assert.deepEqual(network.routeTo(LAB.onLink4), routes.get(LAB.onLink4));
    assert.equal(network.routesTo([]).size, 0);
  });

  it("neighbour changes: one spawn for many, and a failure in the middle is its own command's, the rest done", async () => {
    const network = new KernelNetwork({ netns: LAB.balancer });
    const targets = [
      { address: '10.77.0.50', dev: LAB.balancerDev },
      { address: '10.77.0.51', dev: 'nosuch0' },
      { address: '10.77.0.52', dev: LAB.balancerDev },
    ];
    const asked = await network.keepResolved(targets);
    assert.equal(asked[0], undefined);
    assert.match(asked[1]?.message ?? '', /^ip neigh replace 10\.77\.0\.51 dev nosuch0 managed use: Cannot find device "nosuch0"/);
    assert.equal(asked[2], undefined);
    const table = await network.neighbours();
    for (const address of ['10.77.0.50', '10.77.0.52'])
      assert.ok(
        table.some((entry) => entry.address === address),
        `${address} asked for`,
      );
    /* Removing: an entry that is not there fails alone; the others go. */
    const forgotten = await network.forget([targets[0]!, { address: '10.77.0.53', dev: LAB.balancerDev }, targets[2]!]);
    assert.equal(forgotten[0], undefined);
    assert.match(forgotten[1]?.message ?? '', /^ip neigh del 10\.77\.0\.53 dev lb0: /);
    assert.equal(forgotten[2], undefined);
    const after = await network.neighbours();
    for (const address of ['10.77.0.50', '10.77.0.52']) assert.ok(!after.some((entry) => entry.address === address), `${address} removed`);
    assert.deepEqual(await network.keepResolved([]), []);
  });

  it("next-hop refresh: one table read finds a backend's entry, also under another spelling, and reports one without a route", async () => {
    const network = new KernelNetwork({ netns: LAB.balancer });
    const logs: string[] = [];
    const neighbours = new NextHopNeighbours(network, { log: (level, message) => logs.push(`${level} ${message}`), refreshMs: 3_600_000 });
    /* The IPv6 backend spelled out in full: the kernel prints fd77::2. */
    const spelled = 'fd77:0:0:0:0:0:0:2';
    await neighbours.sync([LAB.onLink4, spelled, LAB.routed4, LAB.unreachable4]);
    const mac = backendMac();
    for (let attempt = 0; attempt < 50; attempt++) {
      await neighbours.refresh();
      if (neighbours.status().filter((s) => s.lladdr !== null).length === 3) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const byBackend = new Map(neighbours.status().map((s) => [s.backend, s]));
    assert.equal(byBackend.get(LAB.onLink4)?.lladdr, mac);
    assert.equal(byBackend.get(spelled)?.lladdr, mac);
    assert.equal(byBackend.get(spelled)?.nextHop, spelled);
    /* Routed: its gateway's entry, the same host. */
    assert.equal(byBackend.get(LAB.routed4)?.nextHop, LAB.onLink4);
    assert.equal(byBackend.get(LAB.routed4)?.lladdr, mac);
    const unreachable = byBackend.get(LAB.unreachable4);
    assert.equal(unreachable?.lladdr, null);
    assert.match(unreachable?.error ?? '', /no route to 10\.99\.0\.5/);
    assert.equal(logs.filter((line) => line.includes(LAB.unreachable4)).length, 1, 'a backend without a route is logged once, not on every pass');
    await neighbours.sync([]);
  });
});

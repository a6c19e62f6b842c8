// Forwarding modes through the API: a service's mode on create, in its views, its switch, the config
// document, the refusals (dsr off-link, a tunnel without a source: store and maps unchanged), what reaches
// service_config.mode and tunnel_settings, and the dsr backends' neighbour entries. A real agent (maps,
// SQLite) whose route and neighbour lookups run in a balancer namespace this file makes (lab-network.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SluiceForwardingMode, addressToBytes } from '@sluice/dataplane';
import { KernelNetwork } from '../../src/forwarding/host-network.js';
import { serviceKeyOf } from '../../src/reconcile/map-entries.js';
import { expectRefusedUnchanged } from '../operations/expect.js';
import { ManualHealth, type TestAgent, startTestAgent, testRuntimeParts } from '../operations/helpers.js';
import { LAB, backendMac, balancerNeighbour, labDown, labUp } from './lab-network.js';

const T = { timeout: 30_000 };
const DSR = `198.18.110.1:80/tcp`;

let t: TestAgent;
before(async () => {
  labUp();
  const health = new ManualHealth();
  t = await startTestAgent(undefined, health, {
    parts: testRuntimeParts({ health, network: new KernelNetwork({ netns: LAB.balancer }) }),
    /* An IPv4 source only: IPv6 tunnels stay unconfigured, to be refused. */
    tunnel: { source4: LAB.balancer4, guePort: 7000, source4HashBits: 4, source6HashBits: 0 },
  });
});
after(() => {
  t?.stop();
  labDown();
});

const admin = () => t.as('admin');
const modeInMap = (address: string, port: number) => t.maps.services.lookup(serviceKeyOf({ address, port, protocol: 'tcp' }))?.mode;

describe('forwarding modes', () => {
  test('a service is nat unless told, and its counts are exact there', T, async () => {
    const created = await admin().services.create({ address: '198.18.110.9', port: 80, protocol: 'tcp', backends: [{ address: LAB.routed4, port: 80 }] });
    assert.equal(created.mode, 'nat');
    assert.equal(created.activeIsEstimate, false);
    assert.equal(created.backends[0]?.activeIsEstimate, false);
    assert.equal(modeInMap('198.18.110.9', 80), SluiceForwardingMode.MODE_NAT);
  });

  test('a dsr service with an on-link backend: mode in the maps, estimates in the views, audited', T, async () => {
    const created = await admin().services.create({
      address: '198.18.110.1',
      port: 80,
      protocol: 'tcp',
      mode: 'dsr',
      backends: [{ address: LAB.onLink4, port: 80 }],
    });
    assert.equal(created.name, DSR);
    assert.equal(created.mode, 'dsr');
    assert.equal(created.activeIsEstimate, true);
    assert.equal(created.backends[0]?.activeIsEstimate, true);
    assert.equal(modeInMap('198.18.110.1', 80), SluiceForwardingMode.MODE_DSR);
    const [listed] = (await t.as('viewer').services.list()).filter((s) => s.name === DSR);
    assert.equal(listed?.activeIsEstimate, true);
    const audit = await t.as('viewer').audit.list({ action: 'service.create' });
    assert.equal((audit.items.find((a) => a.target === DSR)?.after as { mode?: string })?.mode, 'dsr');
  });

  test("the agent keeps a dsr backend's MAC resolved: a managed neighbour entry with the backend's MAC", T, async () => {
    const [status] = await t.agent.nextHops({ refresh: true });
    assert.equal(status?.backend, LAB.onLink4);
    assert.equal(status?.nextHop, LAB.onLink4);
    assert.equal(status?.dev, LAB.balancerDev);
    const entry = balancerNeighbour(LAB.onLink4);
    assert.ok(entry, 'the balancer namespace has no neighbour entry for the dsr backend');
    assert.ok('managed' in entry, `the entry is not managed (the kernel would not refresh it): ${JSON.stringify(entry)}`);
    /* Resolution takes one ARP round trip on the veth; read again after the kernel had time for it. */
    const deadline = Date.now() + 3000;
    let resolved = await t.agent.nextHops({ refresh: true });
    while (resolved[0]?.lladdr === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      resolved = await t.agent.nextHops({ refresh: true });
    }
    assert.equal(resolved[0]?.lladdr, backendMac());
    assert.equal(balancerNeighbour(LAB.onLink4)?.lladdr, backendMac());
  });

  test('a neighbour entry the kernel lost is asked for again on the next refresh', T, async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync('ip', ['-n', LAB.balancer, 'neigh', 'del', LAB.onLink4, 'dev', LAB.balancerDev]);
    assert.equal(balancerNeighbour(LAB.onLink4), undefined);
    await t.agent.nextHops({ refresh: true });
    assert.ok(balancerNeighbour(LAB.onLink4), 'the refresh did not ask for the entry again');
  });

  test('dsr refusals name the reason and change nothing', T, async () => {
    const a = admin();
    await expectRefusedUnchanged(
      t,
      'backend behind a gateway',
      () => a.services.create({ address: '198.18.110.2', port: 80, protocol: 'tcp', mode: 'dsr', backends: [{ address: LAB.routed4, port: 80 }] }),
      'INVALID',
      new RegExp(
        `backend ${LAB.routed4}:80 of 198.18.110.2:80/tcp cannot use dsr: the balancer reaches ${LAB.routed4} through the gateway ${LAB.onLink4} \\(dev lb0\\)`,
      ),
    );
    await expectRefusedUnchanged(
      t,
      'IPv6 backend behind a gateway',
      () => a.services.create({ address: '2001:db8:110::1', port: 80, protocol: 'tcp', mode: 'dsr', backends: [{ address: LAB.routed6, port: 80 }] }),
      'INVALID',
      new RegExp(`through the gateway ${LAB.onLink6}`),
    );
    await expectRefusedUnchanged(
      t,
      'backend with no route',
      () => a.services.create({ address: '198.18.110.2', port: 80, protocol: 'tcp', mode: 'dsr', backends: [{ address: LAB.unreachable4, port: 80 }] }),
      'INVALID',
      /cannot use dsr: the balancer has no route to 10\.99\.0\.5/,
    );
    await expectRefusedUnchanged(
      t,
      'routed backend added to a dsr service',
      () => a.backends.add({ service: DSR, address: LAB.routed4, port: 80 }),
      'INVALID',
      /through the gateway/,
    );
    await expectRefusedUnchanged(
      t,
      'nat service with a routed backend switched to dsr',
      () => a.services.update({ service: '198.18.110.9:80/tcp', mode: 'dsr' }),
      'INVALID',
      /backend 10\.88\.0\.5:80 of 198\.18\.110\.9:80\/tcp cannot use dsr/,
    );
    await expectRefusedUnchanged(
      t,
      'on-link backend on another port than the service',
      () => a.backends.add({ service: DSR, address: LAB.onLink4, port: 8080 }),
      'INVALID',
      /backend 10\.77\.0\.2:8080 of 198\.18\.110\.1:80\/tcp cannot use dsr: .*must serve port 80 \(only nat rewrites the port\)/,
    );
    await expectRefusedUnchanged(
      t,
      'unknown mode',
      () => a.services.update({ service: DSR, mode: 'tun' as never }),
      'INVALID',
      /mode must be one of nat, dsr, ipip, gue/,
    );
  });

  test('ipip and gue need a tunnel source of the family: IPv4 has one, IPv6 is refused naming the flag', T, async () => {
    await expectRefusedUnchanged(
      t,
      'IPv6 gue without a source',
      () => admin().services.create({ address: '2001:db8:110::2', port: 80, protocol: 'udp', mode: 'gue', backends: [{ address: LAB.routed6, port: 80 }] }),
      'INVALID',
      /cannot use gue: the balancer has no IPv6 tunnel source: set --tunnel-source6 ADDRESS/,
    );
    const ipip = await admin().services.create({
      address: '198.18.110.3',
      port: 80,
      protocol: 'tcp',
      mode: 'ipip',
      backends: [{ address: LAB.routed4, port: 80 }],
    });
    assert.equal(ipip.activeIsEstimate, true);
    assert.equal(modeInMap('198.18.110.3', 80), SluiceForwardingMode.MODE_IPIP);
    const settings = t.maps.tunnelSettings.lookup(0);
    assert.equal(settings?.source4, addressToBytes(LAB.balancer4).bytes.readUInt32BE(0));
    assert.equal(settings?.gue_port, 7000);
    assert.equal(settings?.source4_hash_bits, 4);
    assert.equal(Buffer.from(settings!.source6).toString('hex'), '0'.repeat(32));
  });

  test('switching modes: the map follows, the switch is audited, a switch away from dsr forgets the neighbour', T, async () => {
    const switched = await admin().services.update({ service: '198.18.110.3:80/tcp', mode: 'gue' });
    assert.equal(switched.mode, 'gue');
    assert.equal(modeInMap('198.18.110.3', 80), SluiceForwardingMode.MODE_GUE);
    const audit = await t.as('viewer').audit.list({ action: 'service.update' });
    const row = audit.items.find((a) => a.target === '198.18.110.3:80/tcp');
    assert.equal((row?.before as { mode?: string })?.mode, 'ipip');
    assert.equal((row?.after as { mode?: string })?.mode, 'gue');

    const toNat = await admin().services.update({ service: DSR, mode: 'nat' });
    assert.equal(toNat.activeIsEstimate, false);
    assert.equal(modeInMap('198.18.110.1', 80), SluiceForwardingMode.MODE_NAT);
    assert.deepEqual(
      (await t.agent.nextHops()).map((hop) => hop.backend),
      [LAB.routed4],
      'only the gue backend is kept (through its gateway)',
    );
    /* 10.77.0.2 is also the gateway toward the gue backend: its entry stays. */
    assert.equal(balancerNeighbour(LAB.onLink4)?.lladdr, backendMac(), 'a next hop still in use was forgotten');
    /* An on-link backend no other backend goes through: forgotten when its service leaves dsr. */
    const v6 = '[2001:db8:110::9]:80/tcp';
    await admin().services.create({ address: '2001:db8:110::9', port: 80, protocol: 'tcp', mode: 'dsr', backends: [{ address: LAB.onLink6, port: 80 }] });
    assert.ok(
      (await t.agent.nextHops()).some((hop) => hop.backend === LAB.onLink6),
      'the IPv6 dsr backend is not kept',
    );
    assert.ok(balancerNeighbour(LAB.onLink6) && 'managed' in balancerNeighbour(LAB.onLink6)!, 'no managed entry for the IPv6 dsr backend');
    await admin().services.update({ service: v6, mode: 'nat' });
    await t.agent.nextHops();
    assert.equal(balancerNeighbour(LAB.onLink6), undefined, 'the managed entry outlived the dsr service');
    await admin().services.delete({ service: v6 });
    /* And back: the on-link backend passes the check again. */
    await admin().services.update({ service: DSR, mode: 'dsr' });
    assert.equal(modeInMap('198.18.110.1', 80), SluiceForwardingMode.MODE_DSR);
  });

  test('an operator or viewer cannot switch a mode', T, async () => {
    for (const role of ['viewer', 'operator'] as const)
      await expectRefusedUnchanged(t, role, () => t.as(role).services.update({ service: DSR, mode: 'nat' }), 'FORBIDDEN');
  });

  test('the config document carries the mode: export, then import of a changed mode, and a refused import changes nothing', T, async () => {
    const exported = await admin().config.export();
    const modes = Object.fromEntries(exported.services.map((s) => [`${s.address}:${s.port}`, s.mode]));
    assert.equal(modes['198.18.110.1:80'], 'dsr');
    assert.equal(modes['198.18.110.3:80'], 'gue');
    assert.equal(modes['198.18.110.9:80'], 'nat');

    const changed = { ...exported, services: exported.services.map((s) => (s.address === '198.18.110.3' ? { ...s, mode: 'ipip' as const } : s)) };
    const result = await admin().config.import({ document: changed });
    assert.deepEqual(result.servicesUpdated, ['198.18.110.3:80/tcp']);
    assert.equal(modeInMap('198.18.110.3', 80), SluiceForwardingMode.MODE_IPIP);

    const offLink = { ...exported, services: exported.services.map((s) => (s.address === '198.18.110.9' ? { ...s, mode: 'dsr' as const } : s)) };
    for (const dryRun of [true, false])
      await expectRefusedUnchanged(
        t,
        `import (dryRun ${dryRun}) of a routed dsr backend`,
        () => admin().config.import({ document: offLink, dryRun }),
        'INVALID',
        /through the gateway/,
      );
  });

  test('new tunnel settings (SIGHUP) reach the map, but not if an ipip/gue service would lose its source', T, async () => {
    const before = t.maps.tunnelSettings.lookup(0);
    assert.throws(
      () => t.agent.setTunnelOptions({ guePort: 7000, source4HashBits: 0, source6HashBits: 0 }),
      /would leave ipip service 198\.18\.110\.3:80\/tcp without a source: .*set --tunnel-source4/,
    );
    assert.deepEqual(t.maps.tunnelSettings.lookup(0), before, 'a refused change wrote the map');
    t.agent.setTunnelOptions({ source4: LAB.balancer4, source6: LAB.balancer6, guePort: 7001, source4HashBits: 0, source6HashBits: 8 });
    const after = t.maps.tunnelSettings.lookup(0);
    assert.equal(after?.gue_port, 7001);
    assert.equal(after?.source6_hash_bits, 8);
    assert.equal(Buffer.from(after!.source6).toString('hex'), addressToBytes(LAB.balancer6).bytes.toString('hex'));
    /* IPv6 has a source now: the gue service refused before is taken. */
    const gue6 = await admin().services.create({ address: '2001:db8:110::2', port: 80, protocol: 'udp', mode: 'gue' });
    assert.equal(gue6.mode, 'gue');
  });

  test("a tunnel backend's next hop (the gateway toward it) is kept resolved too", T, async () => {
    assert.equal(balancerNeighbour(LAB.onLink6), undefined, 'the test wants no entry to begin with');
    await admin().backends.add({ service: '[2001:db8:110::2]:80/udp', address: LAB.routed6, port: 80 });
    const deadline = Date.now() + 3000;
    let hop = (await t.agent.nextHops({ refresh: true })).find((h) => h.backend === LAB.routed6);
    while (hop?.lladdr === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      hop = (await t.agent.nextHops({ refresh: true })).find((h) => h.backend === LAB.routed6);
    }
    assert.equal(hop?.nextHop, LAB.onLink6);
    assert.equal(hop?.lladdr, backendMac());
    assert.equal(balancerNeighbour(LAB.onLink6)?.lladdr, backendMac());
  });

  test('a restarted agent keeps the modes (store and maps)', T, async () => {
    const health = new ManualHealth();
    t = await t.restart(health, {
      parts: testRuntimeParts({ health, network: new KernelNetwork({ netns: LAB.balancer }) }),
      tunnel: { source4: LAB.balancer4, guePort: 7000, source4HashBits: 4, source6HashBits: 0 },
    });
    assert.equal((await admin().services.get({ service: DSR })).mode, 'dsr');
    assert.equal(modeInMap('198.18.110.1', 80), SluiceForwardingMode.MODE_DSR);
    assert.equal(modeInMap('198.18.110.3', 80), SluiceForwardingMode.MODE_IPIP);
  });
});

/*
 * ProbeSteering with the real health_steer object and the kernel's routes of
 * a namespace of the test's own (veth pairs inside it, no link anywhere): ports
 * from the base, the entry the program reads, and the refusal of a probe
 * whose route leaves through an interface the program is not attached to.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { SluiceForwardingMode } from '@sluice/dataplane';
import { execFileSync } from 'node:child_process';
import { KernelNetwork } from '../../src/forwarding/host-network.js';
import { ProbeSteering } from '../../src/health/index.js';

const OBJECT = fileURLToPath(new URL('../../../../bpf/build/health_steer.bpf.o', import.meta.url));
/* SLUICE_TEST_TAG suffixes the name, so checkouts do not meet (as forwarding/lab-network.ts). */
const NS = `slps${process.env.SLUICE_TEST_TAG ?? ''}`;
const ip = (...args: string[]) => execFileSync('ip', ['-n', NS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
const deleteNamespace = () => {
  try {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  } catch {
    /* not there: nothing to remove */
  }
};

describe('ProbeSteering', () => {
  before(() => {
    deleteNamespace();
    execFileSync('ip', ['netns', 'add', NS]);
    /* Veth pairs with both ends inside (this kernel has no dummy module). */
    ip('link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1');
    ip('link', 'add', 'seg0', 'type', 'veth', 'peer', 'name', 'seg1');
    for (const dev of ['up0', 'up1', 'seg0', 'seg1']) ip('link', 'set', dev, 'up');
    ip('addr', 'add', '198.18.1.2/24', 'dev', 'up0');
    ip('addr', 'add', '198.19.0.2/24', 'dev', 'seg0');
    /* The VIPs are routed out of up0, as a balancer's default route would. */
    ip('route', 'add', '198.18.100.0/24', 'via', '198.18.1.1', 'dev', 'up0');
  });
  after(deleteNamespace);

  const steeringOn = (interfaces: string[]) =>
    new ProbeSteering({
      objectPath: OBJECT,
      interfaces,
      tunnel: () => ({ source4: '198.19.0.2', guePort: 6080 }),
      network: new KernelNetwork({ netns: NS }),
      portBase: 61000,
      ports: 2,
    });

  it('reserves ports from the base, one per target, and writes the entry the program reads', (t) => {
    const steering = steeringOn(['up0', 'seg0']);
    t.after(() => steering.close());
    const gue = { mode: 'gue' as const, vip: '198.18.100.2', vipPort: 8080, backend: '198.19.0.12' };
    assert.equal(steering.portFor('a', { mode: 'dsr', vip: '198.18.100.1', vipPort: 8080, backend: '198.19.0.11' }), 61000);
    assert.equal(steering.portFor('b', gue), 61001);
    assert.equal(steering.portFor('b', gue), 61001, 'the same target keeps its port');
    const entry = steering.program.maps.probes.lookup({ source_port: 61001 });
    assert.ok(entry);
    assert.equal(entry.mode, SluiceForwardingMode.MODE_GUE);
    assert.equal(entry.family, 4);
    assert.equal(entry.vip_port, 8080);
    assert.equal(entry.gue_port, 6080);
    assert.deepEqual([...entry.vip.subarray(0, 4)], [198, 18, 100, 2]);
    assert.deepEqual([...entry.backend.subarray(0, 4)], [198, 19, 0, 12]);
    assert.deepEqual([...entry.outer_source.subarray(0, 4)], [198, 19, 0, 2]);
    assert.throws(() => steering.portFor('c', gue), /no free health probe port: all 2 from 61000 are in use/);
    steering.release(['a', 'c']);
    assert.equal(steering.program.maps.probes.lookup({ source_port: 61000 }), undefined, "a's entry is gone");
    assert.equal(steering.portFor('c', gue), 61000, "c gets a's freed port");
  });

  it('refuses a probe whose route to the VIP leaves through an interface without the program, writing nothing', (t) => {
    const steering = steeringOn(['seg0']);
    t.after(() => steering.close());
    assert.throws(
      () => steering.portFor('a', { mode: 'dsr', vip: '198.18.100.1', vipPort: 8080, backend: '198.19.0.11' }),
      /would leave for 198\.18\.100\.1 through up0, where the probes' steering is not attached \(the agent's interfaces: seg0\)/,
    );
    assert.deepEqual([...steering.program.maps.probes.keys()], []);
  });

  it('refuses an ipip probe of a family without a tunnel source', (t) => {
    const steering = steeringOn(['up0']);
    t.after(() => steering.close());
    assert.throws(
      () => steering.portFor('a', { mode: 'ipip', vip: '2001:db8:100::1', vipPort: 80, backend: '2001:db8:1::11' }),
      /no IPv6 tunnel source is set/,
    );
  });
});

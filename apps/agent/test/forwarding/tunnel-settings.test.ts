// The tunnel settings: flags and file keys, their refusals, the default source taken from the XDP
// interfaces' addresses (real `ip addr` in a namespace this file makes), and the map entry.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { addressToBytes } from '@sluice/dataplane';
import { KernelNetwork } from '../../src/forwarding/host-network.js';
import { DEFAULT_GUE_PORT, resolveTunnelSources, tunnelSettingsEntry } from '../../src/forwarding/tunnel-settings.js';
import { agentSettingsFromArgs } from '../../src/main.js';
import { tunnelOptionsOf } from '../../src/settings.js';
import { LAB, labDown, labUp } from './lab-network.js';

before(labUp);
after(labDown);

describe('tunnel settings', () => {
  it('default to no sources, GUE port 6080 and no hash bits', () => {
    assert.deepEqual(tunnelOptionsOf(agentSettingsFromArgs([])), { guePort: DEFAULT_GUE_PORT, source4HashBits: 0, source6HashBits: 0 });
    assert.equal(DEFAULT_GUE_PORT, 6080);
  });

  it('take --tunnel-source4, --tunnel-source6, the hash bits and --gue-port', () => {
    const settings = agentSettingsFromArgs([
      '--tunnel-source4',
      '192.0.2.10',
      '--tunnel-source6',
      '2001:db8::10',
      '--tunnel-source4-hash-bits',
      '8',
      '--tunnel-source6-hash-bits',
      '20',
      '--gue-port',
      '7777',
    ]);
    assert.deepEqual(tunnelOptionsOf(settings), { source4: '192.0.2.10', source6: '2001:db8::10', guePort: 7777, source4HashBits: 8, source6HashBits: 20 });
  });

  it('refuse a source of the wrong family, a bad port and too many hash bits, naming the setting', () => {
    assert.throws(() => agentSettingsFromArgs(['--tunnel-source4', '2001:db8::10']), /tunnelSource4 must be an IPv4 address/);
    assert.throws(() => agentSettingsFromArgs(['--tunnel-source6', '192.0.2.1']), /tunnelSource6 must be an IPv6 address/);
    assert.throws(() => agentSettingsFromArgs(['--gue-port', '0']), /guePort must be 1 to 65535/);
    assert.throws(() => agentSettingsFromArgs(['--gue-port', '65536']), /guePort must be 1 to 65535/);
    assert.throws(() => agentSettingsFromArgs(['--tunnel-source4-hash-bits', '17']), /tunnelSource4HashBits must be 0 to 16/);
    assert.throws(() => agentSettingsFromArgs(['--tunnel-source6-hash-bits', '33']), /tunnelSource6HashBits must be 0 to 32/);
  });

  it("take an unset source from the interface's one global address of the family", () => {
    const network = new KernelNetwork({ netns: LAB.balancer });
    const sources = resolveTunnelSources({ guePort: 6080, source4HashBits: 0, source6HashBits: 0 }, [LAB.balancerDev], network);
    assert.equal(sources.source4, LAB.balancer4);
    assert.equal(sources.source6, LAB.balancer6);
    assert.deepEqual(sources.missing, {});
  });

  it('leave a family unset, saying which flag to set, when the interfaces hold none or several', () => {
    const network = new KernelNetwork({ netns: LAB.balancer });
    const none = resolveTunnelSources({ guePort: 6080, source4HashBits: 0, source6HashBits: 0 }, [], network);
    assert.equal(none.source4, undefined);
    assert.match(none.missing[4] ?? '', /set --tunnel-source4 ADDRESS/);
    execFileSync('ip', ['-n', LAB.balancer, 'addr', 'add', '10.77.1.1/24', 'dev', LAB.balancerDev]);
    try {
      const several = resolveTunnelSources({ guePort: 6080, source4HashBits: 0, source6HashBits: 0 }, [LAB.balancerDev], network);
      assert.equal(several.source4, undefined);
      assert.match(several.missing[4] ?? '', /set --tunnel-source4 to one of 10\.77\.0\.1, 10\.77\.1\.1/);
      /* A given source wins over the guess. */
      const given = resolveTunnelSources({ source4: '10.77.1.1', guePort: 6080, source4HashBits: 0, source6HashBits: 0 }, [LAB.balancerDev], network);
      assert.equal(given.source4, '10.77.1.1');
    } finally {
      execFileSync('ip', ['-n', LAB.balancer, 'addr', 'del', '10.77.1.1/24', 'dev', LAB.balancerDev]);
    }
  });

  it('become the map entry: addresses in network order, a missing family as zeros', () => {
    const entry = tunnelSettingsEntry({ source6: '2001:db8::10', missing: { 4: 'unset' }, guePort: 6080, source4HashBits: 0, source6HashBits: 12 });
    assert.equal(entry.source4, 0);
    assert.equal(Buffer.from(entry.source6).toString('hex'), addressToBytes('2001:db8::10').bytes.toString('hex'));
    assert.equal(entry.gue_port, 6080);
    assert.equal(entry.source6_hash_bits, 12);
  });
});

/* The agent's flood settings: flags, validation, and what reaches the data plane's maps. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDataplane } from '../src/operations/dataplane-owner.js';
import { agentSettingsFromArgs } from '../src/main.js';
import { DEFAULT_FLOW_GUARD_RATE } from '../src/settings.js';
import { SMALL_MAPS, objectPath, scratchBpffs } from '@sluice/dataplane/test-helpers';

describe('flood settings', () => {
  it("default to the guard at DEFAULT_FLOW_GUARD_RATE and the program's half-open table size", () => {
    const settings = agentSettingsFromArgs([]);
    assert.equal(settings.flowGuardRate, DEFAULT_FLOW_GUARD_RATE);
    assert.equal(settings.halfOpenTableSize, undefined);
  });

  it('take --flow-guard-rate (0 turns the guard off) and --half-open-table-size', () => {
    const settings = agentSettingsFromArgs(['--flow-guard-rate', '0', '--half-open-table-size', '4096']);
    assert.equal(settings.flowGuardRate, 0);
    assert.equal(settings.halfOpenTableSize, 4096);
  });

  it('refuse a negative rate and a tiny half-open table, naming the setting', () => {
    assert.throws(() => agentSettingsFromArgs(['--flow-guard-rate=-1']), /flowGuardRate must be >= 0/);
    assert.throws(() => agentSettingsFromArgs(['--half-open-table-size', '10']), /halfOpenTableSize must be >= 1024/);
    assert.throws(() => agentSettingsFromArgs(['--flow-guard-rate', 'many']), /--flow-guard-rate must be a number/);
  });

  it("reach the maps: the rate in flood_settings, the size as the half-open table's max_entries", () => {
    const bpffs = scratchBpffs();
    try {
      const dp = startDataplane({
        objectPath: objectPath(),
        pinDir: bpffs.dir,
        interfaces: [],
        xdpMode: 'native',
        maxEntries: { ...SMALL_MAPS, half_open_flows: 2048 },
        flowGuardRate: 1234,
      });
      try {
        assert.equal(dp.maps.floodSettings.lookup(0)?.new_flow_rate_per_cpu, 1234n);
        assert.equal(dp.maps.halfOpenFlows.maxEntries, 2048);
      } finally {
        dp.close();
      }
    } finally {
      bpffs.remove();
    }
  });
});

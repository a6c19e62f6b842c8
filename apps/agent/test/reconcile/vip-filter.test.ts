// vip_filter: the reconciler keeps exactly the bits of the VIP addresses it
// serves (a bit shared by two services' address stays until the last one
// goes), and an agent starting a build whose filter is new (an upgrade, the
// pin absent) fills it from the adopted vips before the program goes in.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { dataplaneConfigSchema } from '@sluice/api';
import { type Dataplane, SluiceVipFilter, addressToBytes, loadDataplane } from '@sluice/dataplane';
import { SMALL_MAPS as PINNED_SMALL_MAPS, objectPath, scratchBpffs } from '@sluice/dataplane/test-helpers';
import { Reconciler } from '../../src/reconcile/reconciler.js';
import { vipKeyOf } from '../../src/reconcile/map-entries.js';
import { vipFilterBit } from '../../src/reconcile/vip-filter.js';
import { startDataplane } from '../../src/operations/dataplane-owner.js';
import { OBJECT_PATH, SMALL_MAPS } from './helpers.js';

let dataplane: Dataplane;
beforeEach(() => {
  dataplane = loadDataplane({ objectPath: OBJECT_PATH, maxEntries: SMALL_MAPS });
});
afterEach(() => dataplane.close());

const service = (address: string, port: number) => ({
  address,
  port,
  protocol: 'tcp',
  algorithm: 'round-robin',
  backends: [{ address: address.includes(':') ? '2001:db8:1::2' : '198.19.1.2', port: 8080 }],
});
const config = (...services: ReturnType<typeof service>[]) => dataplaneConfigSchema.parse({ services });

function setBits(dp: Dataplane): number[] {
  const bits: number[] = [];
  for (let word = 0; word < SluiceVipFilter.VIP_FILTER_WORDS; word++) {
    const value = dp.maps.vipFilter.lookup(word) ?? 0n;
    for (let b = 0; b < 64; b++) if ((value >> BigInt(b)) & 1n) bits.push(word * 64 + b);
  }
  return bits;
}
const bitsOf = (...addresses: string[]) => [...new Set(addresses.map((a) => vipFilterBit(addressToBytes(a).bytes)))].sort((a, b) => a - b);

test('the bits of the served VIP addresses, IPv4 and IPv6; a shared address keeps its bit until its last service goes', () => {
  const reconciler = new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024));
  assert.deepEqual(setBits(dataplane), []);
  reconciler.apply(config(service('198.18.100.1', 80), service('198.18.100.1', 443), service('2001:db8:100::1', 80)));
  assert.deepEqual(setBits(dataplane), bitsOf('198.18.100.1', '2001:db8:100::1'));
  reconciler.apply(config(service('198.18.100.1', 443), service('2001:db8:100::1', 80)));
  assert.deepEqual(setBits(dataplane), bitsOf('198.18.100.1', '2001:db8:100::1'), 'port 443 still serves 198.18.100.1');
  reconciler.apply(config(service('2001:db8:100::1', 80)));
  assert.deepEqual(setBits(dataplane), bitsOf('2001:db8:100::1'));
  reconciler.apply(config());
  assert.deepEqual(setBits(dataplane), []);
});

test('the bit is the one the address words give (hash_32 of their xor, top 14 bits), independent of the port', () => {
  /* 198.18.100.1 stored as bytes c6 12 64 01: read little-endian 0x016412c6. */
  const expected = Number(((0x016412c6n * 0x61c88647n) & 0xffffffffn) >> 18n);
  assert.equal(vipFilterBit(vipKeyOf('198.18.100.1').addr), expected);
});

test('an agent starting a build whose vip_filter is new fills it from the adopted vips before attaching', () => {
  const bpffs = scratchBpffs();
  const options = { objectPath: objectPath(), pinDir: bpffs.dir, interfaces: [], xdpMode: 'native' as const, maxEntries: PINNED_SMALL_MAPS };
  try {
    const first = startDataplane(options);
    try {
      new Reconciler(first.maps, Reconciler.limitsOf(first.maps, 1024)).apply(config(service('198.18.100.7', 80), service('2001:db8:100::7', 80)));
    } finally {
      first.close();
    }
    /* As after an upgrade from a build without the filter: vips pinned, no vip_filter pin. */
    rmSync(join(bpffs.dir, 'vip_filter'));
    const second = startDataplane(options);
    try {
      assert.deepEqual(setBits(second), bitsOf('198.18.100.7', '2001:db8:100::7'));
    } finally {
      second.close();
    }
  } finally {
    bpffs.remove();
  }
});

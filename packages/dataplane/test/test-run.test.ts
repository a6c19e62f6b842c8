/* BPF_PROG_TEST_RUN through Dataplane.testRun. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Dataplane, SluiceCounter, XdpAction, loadDataplane } from '../src/index.js';
import { SMALL_MAPS, objectPath } from './helpers.js';

/* An ARP request: not IP, so not for any service; the program must pass it untouched. */
const ARP_FRAME = Buffer.from(
  // biome-ignore lint/style/useTemplate: one string per header field, so the frame reads field by field
  'ffffffffffff' + '020000000001' + '0806' + '0001080006040001' + '020000000001' + 'c6120001' + '000000000000' + 'c6120002' + '00'.repeat(18),
  'hex',
);

describe('testRun', () => {
  let dp: Dataplane;
  before(() => {
    dp = loadDataplane({ objectPath: objectPath(), maxEntries: SMALL_MAPS });
  });
  after(() => dp?.close());

  const passed = () => dp.maps.globalCounters.lookupSum(SluiceCounter.CNT_ACTION_PASS) ?? 0n;

  it('runs a packet and returns the action, the output bytes and a duration', () => {
    const before = passed();
    const result = dp.testRun({ data: ARP_FRAME });
    assert.equal(result.action, XdpAction.PASS);
    assert.equal(result.actionName, 'XDP_PASS');
    assert.deepEqual(result.data, ARP_FRAME);
    assert.ok(result.durationNs >= 0);
    assert.equal(passed() - before, 1n);
  });

  it('repeats in the kernel', () => {
    const before = passed();
    assert.equal(dp.testRun({ data: ARP_FRAME, repeat: 100 }).action, XdpAction.PASS);
    assert.equal(passed() - before, 100n);
  });

  it('accepts an ingress interface through xdp_md', () => {
    assert.equal(dp.testRun({ data: ARP_FRAME, ingressIfindex: 1 }).action, XdpAction.PASS);
  });

  it('names the call and the errno when the kernel refuses', () => {
    /* No interface has index 0x7fffffff, so the kernel cannot build the xdp_md. */
    assert.throws(
      () => dp.testRun({ data: ARP_FRAME, ingressIfindex: 0x7fffffff }),
      /^DataplaneError: bpf_prog_test_run_opts\(prog fd \d+, 60 bytes, repeat 1, ingress ifindex 2147483647\): No such device \(ENODEV\)/,
    );
  });
});

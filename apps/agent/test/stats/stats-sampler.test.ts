/* StatsSampler on real maps: rates, rings, resets, totals. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TCP, buildPacket } from '@sluice/dataplane/test-packets';
import { type BackendErrors, type Dataplane, SluiceBackendDrop, SluiceCounter, type TrafficCounters, numPossibleCpus } from '@sluice/dataplane';
import { type BackendSignalFacts, type RatePoint, StatsSampler, readTotals } from '../../src/stats/index.js';
import { liveSample } from '../../src/stats/live-feed.js';
import { SERVICE, idsOf, loadWithService } from '../conntrack/helpers.js';

describe('StatsSampler', () => {
  let dp: Dataplane;
  let ids: { service: number; backends: number[] };
  let clock = 0;
  const cpus = numPossibleCpus();
  /* Spread a total over the CPUs, as the data plane's per-CPU counters would hold it. */
  const perCpu = (c: Partial<Record<keyof TrafficCounters, bigint>>): TrafficCounters[] =>
    Array.from({ length: cpus }, (_, cpu) => {
      const share = (v: bigint | undefined) => (v ?? 0n) / BigInt(cpus) + (cpu === 0 ? (v ?? 0n) % BigInt(cpus) : 0n);
      return {
        packets: share(c.packets),
        bytes: share(c.bytes),
        reply_packets: share(c.reply_packets),
        reply_bytes: share(c.reply_bytes),
        new_flows: share(c.new_flows),
        drops: share(c.drops),
      };
    });
  const sampler = (history = 3600) =>
    new StatsSampler(dp.maps, {
      ids: () => ({ services: [ids.service], backends: ids.backends }),
      historySeconds: history,
      monotonicMs: () => clock,
      wallMs: () => 1_700_000_000_000 + clock,
    });

  before(() => {
    const loaded = loadWithService({ services: [SERVICE] });
    dp = loaded.dp;
    ids = idsOf(loaded.ids);
  });
  after(() => dp?.close());

  it('computes rates from per-CPU counter increases', () => {
    const s = sampler();
    const b0 = ids.backends[0]!;
    dp.maps.backendCounters.update(b0, perCpu({ packets: 1000n, bytes: 100_000n, reply_packets: 500n, reply_bytes: 50_000n, new_flows: 10n }));
    dp.maps.serviceCounters.update(ids.service, perCpu({ packets: 1000n, bytes: 100_000n, reply_packets: 500n, reply_bytes: 50_000n, new_flows: 10n }));
    dp.maps.backendActive.update(b0, 7n);
    s.sampleOnce();
    assert.deepEqual(s.series({ backend: b0 }, 60), [], 'no rate from a single sample');

    clock += 2000;
    dp.maps.backendCounters.update(b0, perCpu({ packets: 3000n, bytes: 300_000n, reply_packets: 1500n, reply_bytes: 150_000n, new_flows: 30n }));
    dp.maps.serviceCounters.update(ids.service, perCpu({ packets: 3000n, bytes: 300_000n, reply_packets: 1500n, reply_bytes: 150_000n, new_flows: 30n }));
    const sample = s.sampleOnce();
    const expected = { pps: 1500, bps: 1_200_000, newFlowsPerSec: 10, activeFlows: 7 };
    const [point] = s.series({ backend: b0 }, 60);
    const noErrors = { dropsPerSec: 0, resetsPerSec: 0, failedHandshakesPerSec: 0, healthLatencyMs: null };
    assert.deepEqual({ ...point, t: undefined }, { ...expected, errors: noErrors, t: undefined }, 'a backend point carries its error rates');
    assert.deepEqual(
      { ...s.series({ service: ids.service }, 60)[0], t: undefined },
      { ...expected, t: undefined },
      "a service sums its backends' active flows",
    );
    assert.equal(sample.backends.find((b) => b.backendId === b0)!.pps, 1500);
    assert.equal(sample.total.activeFlows, 7);

    const totals = s.totals();
    const backend = totals.backends.find((b) => b.backendId === b0)!;
    assert.deepEqual(
      { ...backend },
      {
        backendId: b0,
        serviceId: ids.service,
        packets: 3000,
        bytes: 300_000,
        replyPackets: 1500,
        replyBytes: 150_000,
        newFlows: 30,
        drops: 0,
        activeFlows: 7,
        errors: {
          drops: { dsr_not_on_link: 0, dsr_no_neighbour: 0, tunnel_no_next_hop: 0, too_big: 0, too_big_no_df: 0, too_big_rate: 0 },
          resets: 0,
          unansweredSyns: 0,
          incompleteHandshakes: null,
          healthLatencyMs: null,
        },
      },
    );
    assert.equal(typeof totals.global.action_pass, 'number');
    assert.ok('drop_no_backend' in totals.global && 'flow_new' in totals.global && !('max' in totals.global));
  });

  it('each of many samples rates against the one before it (two readings a scope, written in turn); totals() is the last sample, as taken', () => {
    const s = sampler();
    const b0 = ids.backends[0]!;
    const steps = [0n, 100n, 350n, 360n, 1360n, 1365n];
    const pps: number[] = [];
    for (const packets of steps) {
      dp.maps.backendCounters.update(b0, perCpu({ packets }));
      dp.maps.serviceCounters.update(ids.service, perCpu({ packets }));
      clock += 1000;
      const sample = s.sampleOnce();
      const point = sample.backends.find((b) => b.backendId === b0);
      if (point) pps.push(point.pps);
    }
    assert.deepEqual(pps, [100, 250, 10, 1000, 5]);
    assert.deepEqual(
      s.series({ service: ids.service }, 60).map((point) => point.pps),
      [100, 250, 10, 1000, 5],
    );
    /* Built when asked, from the last sample: a counter moved since shows only at the next. */
    dp.maps.backendCounters.update(b0, perCpu({ packets: 9999n }));
    const totals = s.totals();
    assert.equal(totals.backends.find((b) => b.backendId === b0)!.packets, 1365);
    assert.equal(s.totals(), totals, 'the same build until the next sample');
    clock += 1000;
    s.sampleOnce();
    assert.equal(s.totals().backends.find((b) => b.backendId === b0)!.packets, 9999);
    assert.equal(totals.backends.find((b) => b.backendId === b0)!.packets, 1365, 'an earlier build is not written over');
  });

  it('treats a counter that went down as a reset, never a negative rate', () => {
    const s = sampler();
    const b1 = ids.backends[1]!;
    dp.maps.backendCounters.update(b1, perCpu({ packets: 5000n }));
    s.sampleOnce();
    clock += 1000;
    /* The reconciler zeroed the id and traffic since added 200. */
    dp.maps.backendCounters.update(b1, perCpu({ packets: 200n }));
    s.sampleOnce();
    const [point] = s.series({ backend: b1 }, 10);
    assert.equal(point!.pps, 200);
  });

  it('counts real packets through the program in the global and service series', () => {
    const s = sampler();
    s.sampleOnce();
    clock += 1000;
    for (let port = 50000; port < 50010; port++) {
      dp.testRun({ data: buildPacket({ src: '198.18.0.50', dst: SERVICE.address, srcPort: port, dstPort: 80, protocol: 'tcp', tcpFlags: TCP.SYN }) });
    }
    s.sampleOnce();
    const [total] = s.series({}, 5);
    assert.equal(total!.newFlowsPerSec, 10);
    assert.equal(total!.pps, 10);
    assert.equal(s.series({ service: ids.service }, 5)[0]!.newFlowsPerSec, 10);
    assert.equal(s.totals().global.flow_new! >= 10, true);
  });

  it('keeps a fixed ring: the oldest points give way', () => {
    const s = sampler(5);
    const b2 = ids.backends[2]!;
    let packets = 0n;
    for (let i = 0; i < 12; i++) {
      packets += BigInt(100 * (i + 1));
      dp.maps.backendCounters.update(b2, perCpu({ packets }));
      s.sampleOnce();
      clock += 1000;
    }
    const points = s.series({ backend: b2 }, 3600);
    assert.equal(points.length, 5);
    assert.deepEqual(
      points.map((p) => p.pps),
      [800, 900, 1000, 1100, 1200],
    );
    assert.ok(
      points.every((p, i) => i === 0 || p.t > points[i - 1]!.t),
      'oldest first',
    );
    assert.deepEqual(
      s.series({ backend: b2 }, 2).map((p) => p.pps),
      [1100, 1200],
    );
    assert.deepEqual(s.series({ backend: 999 }, 10), []);
  });

  it('emits a sample each interval once started, and none after stop()', (t) => {
    /* The test drives the interval: exact counts, no wall-clock wait. */
    t.mock.timers.enable({ apis: ['setInterval'] });
    const s = new StatsSampler(dp.maps, { ids: () => ({ services: [ids.service], backends: ids.backends }), intervalMs: 50 });
    let samples = 0;
    s.on('sample', () => samples++);
    s.start();
    assert.equal(samples, 1, 'start() samples at once');
    t.mock.timers.tick(49);
    assert.equal(samples, 1, 'not before the interval');
    t.mock.timers.tick(1);
    assert.equal(samples, 2);
    t.mock.timers.tick(4 * 50);
    assert.equal(samples, 6, 'one sample per interval');
    s.stop();
    t.mock.timers.tick(10 * 50);
    assert.equal(samples, 6, 'no sample after stop()');
  });

  it('stats.live and the series agree on the same counts: one engine computes both', () => {
    const s = sampler();
    const [b0, b1] = [ids.backends[0]!, ids.backends[1]!];
    /* The service with all its backends, as the reconciler names them (be0, be1, ...). */
    const placement = new Map([['svc', { id: ids.service, backends: new Map(ids.backends.map((id, i) => [`be${i}`, id])) }]]);
    /* Totals as stats.live reads them, stamped with the sampler's clock so both measure the same interval. */
    const totals = () => ({ ...readTotals(dp.maps, placement), t: clock });
    const write = (n: bigint) => {
      dp.maps.backendCounters.update(
        b0,
        perCpu({ packets: 600n * n, bytes: 60_000n * n, reply_packets: 300n * n, reply_bytes: 90_000n * n, new_flows: 6n * n }),
      );
      dp.maps.backendCounters.update(
        b1,
        perCpu({ packets: 400n * n, bytes: 40_000n * n, reply_packets: 100n * n, reply_bytes: 10_000n * n, new_flows: 4n * n }),
      );
      dp.maps.serviceCounters.update(
        ids.service,
        perCpu({ packets: 1000n * n, bytes: 100_000n * n, reply_packets: 400n * n, reply_bytes: 100_000n * n, new_flows: 10n * n }),
      );
    };
    for (const id of ids.backends) dp.maps.backendActive.update(id, id === b0 ? 4n : id === b1 ? 2n : 0n);
    write(1n);
    /* Counts the sampler never sees as service traffic: a rate of every XDP action would include them. */
    dp.maps.globalCounters.update(
      SluiceCounter.CNT_ACTION_PASS,
      Array.from({ length: cpus }, () => 0n),
    );
    s.sampleOnce();
    const before = totals();
    clock += 2000;
    write(3n);
    dp.maps.globalCounters.update(
      SluiceCounter.CNT_ACTION_PASS,
      Array.from({ length: cpus }, () => 5000n),
    );
    s.sampleOnce();
    const live = liveSample(before, totals(), 0);
    const [total] = s.series({}, 2).slice(-1);
    const rates = (p: RatePoint) => ({ pps: p.pps, bps: p.bps, newFlowsPerSec: p.newFlowsPerSec, activeFlows: p.activeFlows });
    assert.deepEqual(rates(live.total), { pps: 1400, bps: 1_600_000, newFlowsPerSec: 10, activeFlows: 6 }, 'forward + reply of the service, per second');
    assert.deepEqual(rates(total!), rates(live.total), 'the series says the same');
    assert.deepEqual(rates(s.series({ service: ids.service }, 2).slice(-1)[0]!), rates(live.services[0]!));
    assert.deepEqual(rates(s.series({ backend: b0 }, 2).slice(-1)[0]!), rates(live.backends.find((b) => b.endpoint === 'be0')!));
  });

  it("a backend's error signals: drops by reason and resets from backend_errors, handshakes and latency from the agent, null where the mode cannot see", () => {
    const [nat, bypass] = [ids.backends[0]!, ids.backends[1]!];
    const facts = new Map<number, BackendSignalFacts>([
      [nat, { handshakes: { unanswered: 2, incomplete: 0 }, healthLatencyMs: 1.5, repliesSeen: true }],
      [bypass, { handshakes: { unanswered: 0, incomplete: 4 }, healthLatencyMs: null, repliesSeen: false }],
    ]);
    const s = new StatsSampler(dp.maps, {
      ids: () => ({ services: [ids.service], backends: [nat, bypass] }),
      monotonicMs: () => clock,
      wallMs: () => 1_700_000_000_000 + clock,
      backendSignals: (id) => facts.get(id)!,
    });
    /* Per CPU, as the data plane writes them: CPU 0 and the last CPU each hold part. */
    const errors = (dropsBySlot: Record<number, bigint>, resets: bigint): BackendErrors[] =>
      Array.from({ length: cpus }, (_, cpu) => {
        const drops = new BigUint64Array(SluiceBackendDrop.BACKEND_DROP_MAX);
        for (const [slot, n] of Object.entries(dropsBySlot)) drops[Number(slot)] = cpu === 0 ? n - n / 2n : cpu === cpus - 1 ? n / 2n : 0n;
        return { drops, resets: cpu === 0 ? resets : 0n };
      });
    const placement = new Map([
      [
        'svc',
        {
          id: ids.service,
          backends: new Map([
            ['nat', nat],
            ['bypass', bypass],
          ]),
        },
      ],
    ]);
    const totals = () => ({
      ...readTotals(dp.maps, placement, (id) => facts.get(id)!),
      t: clock,
    });
    dp.maps.backendErrors.update(nat, errors({ [SluiceBackendDrop.BACKEND_DROP_TOO_BIG]: 4n }, 10n));
    dp.maps.backendErrors.update(bypass, errors({ [SluiceBackendDrop.BACKEND_DROP_DSR_NO_NEIGHBOUR]: 6n }, 0n));
    s.sampleOnce();
    const before = totals();

    clock += 2000;
    dp.maps.backendErrors.update(nat, errors({ [SluiceBackendDrop.BACKEND_DROP_TOO_BIG]: 8n, [SluiceBackendDrop.BACKEND_DROP_TOO_BIG_RATE]: 2n }, 16n));
    dp.maps.backendErrors.update(bypass, errors({ [SluiceBackendDrop.BACKEND_DROP_DSR_NO_NEIGHBOUR]: 10n }, 0n));
    facts.set(nat, { handshakes: { unanswered: 6, incomplete: 0 }, healthLatencyMs: 2.25, repliesSeen: true });
    facts.set(bypass, { handshakes: { unanswered: 0, incomplete: 10 }, healthLatencyMs: null, repliesSeen: false });
    s.sampleOnce();
    const after = totals();

    const zero = { dsr_not_on_link: 0, dsr_no_neighbour: 0, tunnel_no_next_hop: 0, too_big: 0, too_big_no_df: 0, too_big_rate: 0 };
    assert.deepEqual(after.backends.find((b) => b.endpoint === 'nat')!.errors, {
      drops: { ...zero, too_big: 8, too_big_rate: 2 },
      resets: 16,
      unansweredSyns: 6,
      incompleteHandshakes: null,
      healthLatencyMs: 2.25,
    });
    assert.deepEqual(after.backends.find((b) => b.endpoint === 'bypass')!.errors, {
      drops: { ...zero, dsr_no_neighbour: 10 },
      resets: null,
      unansweredSyns: null,
      incompleteHandshakes: 10,
      healthLatencyMs: null,
    });
    /* Over 2 s: nat 6 drops, 6 resets, 4 unanswered SYNs; bypass 4 drops, 6 incomplete handshakes. */
    const natRates = { dropsPerSec: 3, resetsPerSec: 3, failedHandshakesPerSec: 2, healthLatencyMs: 2.25 };
    const bypassRates = { dropsPerSec: 2, resetsPerSec: null, failedHandshakesPerSec: 3, healthLatencyMs: null };
    assert.deepEqual(s.series({ backend: nat }, 2).at(-1)!.errors, natRates, 'history, nat');
    assert.deepEqual(s.series({ backend: bypass }, 2).at(-1)!.errors, bypassRates, 'history, bypass: resets not observable');
    const live = liveSample(before, after, 0);
    assert.deepEqual(live.backends.find((b) => b.endpoint === 'nat')!.errors, natRates, 'the live feed says the same');
    assert.deepEqual(live.backends.find((b) => b.endpoint === 'bypass')!.errors, bypassRates);
    assert.equal(s.series({ service: ids.service }, 2).at(-1)?.errors, undefined, 'a service point has no backend signals');
  });
});

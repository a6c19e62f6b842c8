/* The live feed: one reading a second for every stats.live subscriber, the sampler's when it runs. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StatsTotals as ApiStatsTotals, StatsSample } from '@sluice/api';
import { type Dataplane, type TrafficCounters, numPossibleCpus } from '@sluice/dataplane';
import { type Placement, StatsSampler, readTotals } from '../../src/stats/index.js';
import { LiveFeed, type ReadingSource, liveSample, samplerReadings } from '../../src/stats/live-feed.js';
import { SERVICE, loadWithService } from '../conntrack/helpers.js';

const SERVICE_NAME = '198.18.100.1:80/tcp';

describe('LiveFeed', () => {
  let dp: Dataplane;
  let placement: Placement;
  let clock = 0;
  const wall = () => 1_700_000_000_000 + clock;
  const cpus = numPossibleCpus();
  /* A total on CPU 0, zero on the others: the maps sum them. */
  const onCpu0 = (c: Partial<Record<keyof TrafficCounters, bigint>>): TrafficCounters[] =>
    Array.from({ length: cpus }, (_, cpu) => ({
      packets: cpu === 0 ? (c.packets ?? 0n) : 0n,
      bytes: cpu === 0 ? (c.bytes ?? 0n) : 0n,
      reply_packets: cpu === 0 ? (c.reply_packets ?? 0n) : 0n,
      reply_bytes: cpu === 0 ? (c.reply_bytes ?? 0n) : 0n,
      new_flows: cpu === 0 ? (c.new_flows ?? 0n) : 0n,
      drops: 0n,
    }));
  const write = (n: bigint) => {
    const [service] = placement.values();
    const backends = [...service!.backends.values()];
    backends.forEach((id, k) =>
      dp.maps.backendCounters.update(id, onCpu0({ packets: 100n * n * BigInt(k + 1), bytes: 9_000n * n, reply_packets: 50n * n, new_flows: n })),
    );
    dp.maps.serviceCounters.update(service!.id, onCpu0({ packets: 600n * n, bytes: 27_000n * n, reply_packets: 150n * n, new_flows: 3n * n }));
    dp.maps.backendActive.update(backends[0]!, 2n * n);
  };
  const samplerOf = () =>
    new StatsSampler(dp.maps, {
      ids: () => {
        const [service] = placement.values();
        return { services: [service!.id], backends: [...service!.backends.values()] };
      },
      monotonicMs: () => clock,
      wallMs: wall,
    });
  /* The maps read as stats.totals reads them, stamped with the sampler's clock so both cover the same interval. */
  const mapsNow = (): ApiStatsTotals => ({ ...readTotals(dp.maps, placement), t: wall() });

  before(() => {
    const loaded = loadWithService({ services: [SERVICE] });
    dp = loaded.dp;
    placement = loaded.ids;
  });
  after(() => dp?.close());

  it("the sampler's readings, by name, give the sample two reads of the maps give", () => {
    const sampler = samplerOf();
    write(1n);
    sampler.sampleOnce();
    const before = mapsNow();
    const seen: StatsSample[] = [];
    const feed = new LiveFeed(
      samplerReadings(sampler, () => placement),
      () => 7,
    );
    const stop = feed.subscribe((sample) => seen.push(sample), SERVICE_NAME);
    assert.equal(seen.length, 0, 'the first reading only starts the rates');

    clock += 2_000;
    write(5n);
    sampler.sampleOnce();
    assert.equal(seen.length, 1, "a sample at the sampler's next sample");
    assert.deepEqual(seen[0], liveSample(before, mapsNow(), 7));
    assert.equal(seen[0]!.backends.length, 3);
    assert.equal(seen[0]!.services[0]!.service, SERVICE_NAME);
    assert.equal(seen[0]!.total.pps, ((600 + 150) * 4) / 2, 'forward and reply packets over the 2 s');
    stop();
  });

  it('a subscriber gets the backends of the service it names, none without one; the rest of the sample is the same', () => {
    const sampler = samplerOf();
    write(1n);
    sampler.sampleOnce();
    const feed = new LiveFeed(
      samplerReadings(sampler, () => placement),
      () => 0,
    );
    const seen: { overview?: StatsSample; detail?: StatsSample } = {};
    const stopOverview = feed.subscribe((sample) => (seen.overview = sample));
    const stopDetail = feed.subscribe((sample) => (seen.detail = sample), SERVICE_NAME);
    clock += 1_000;
    write(2n);
    sampler.sampleOnce();
    assert.deepEqual(seen.overview!.backends, [], 'no service named: no backends');
    assert.deepEqual(
      seen.detail!.backends.map((b) => b.endpoint),
      [...placement.get(SERVICE_NAME)!.backends.keys()],
    );
    assert.deepEqual({ ...seen.overview, backends: [] }, { ...seen.detail, backends: [] });
    stopOverview();
    stopDetail();
  });

  it('every subscriber gets the one sample of each reading; the last to leave stops the readings', () => {
    const sampler = samplerOf();
    let readings = 0;
    const totals = sampler.totals.bind(sampler);
    sampler.totals = () => {
      readings++;
      return totals();
    };
    write(1n);
    sampler.sampleOnce();
    const feed = new LiveFeed(
      samplerReadings(sampler, () => placement),
      () => 0,
    );
    const a: StatsSample[] = [];
    const b: StatsSample[] = [];
    const stopA = feed.subscribe((sample) => a.push(sample));
    const stopB = feed.subscribe((sample) => b.push(sample));
    for (let k = 2n; k <= 4n; k++) {
      clock += 1_000;
      write(k);
      sampler.sampleOnce();
    }
    assert.equal(a.length, 3);
    a.forEach((sample, k) => assert.equal(b[k], sample, 'the same sample object for both'));
    assert.equal(readings, 4, 'one reading at the first subscription and one a sample, whatever the subscribers');
    stopA();
    assert.equal(sampler.listenerCount('sample'), 1, 'one subscriber left');
    stopB();
    assert.equal(sampler.listenerCount('sample'), 0, 'none left: the feed no longer listens');
  });

  it('samples(signal): a slow reader gets the newest sample, not a backlog; an abort ends it', async () => {
    let emit: ((totals: ApiStatsTotals) => void) | undefined;
    const reading = (t: number, packets: number): ApiStatsTotals => ({
      t,
      global: {},
      services: [{ service: 's', packets, bytes: 0, replyPackets: 0, replyBytes: 0, newFlows: 0, drops: 0, activeFlows: 0 }],
      backends: [],
    });
    const source: ReadingSource = (listener) => {
      emit = listener;
      listener(reading(0, 0));
      return () => {
        emit = undefined;
      };
    };
    const controller = new AbortController();
    const samples = new LiveFeed(source, () => 0).samples(undefined, controller.signal);
    const first = samples.next();
    /* The generator subscribes when first asked. */
    await Promise.resolve();
    emit!(reading(1_000, 10));
    assert.equal((await first).value?.services[0]?.pps, 10);
    emit!(reading(2_000, 30));
    emit!(reading(3_000, 100));
    assert.equal((await samples.next()).value?.t, 3_000, 'the newest of the two');
    const ended = samples.next();
    controller.abort();
    assert.equal((await ended).done, true);
    assert.equal(emit, undefined, 'the readings stopped with the last subscriber');
  });
});

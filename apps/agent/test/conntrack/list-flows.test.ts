/* listFlows: paging, filters and cursor stability on a real flow table. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CursorError, type FlowFilter, type FlowView, listFlows } from '../../src/conntrack/index.js';
import type { Dataplane } from '@sluice/dataplane';
import { type FlowSpec, SECOND_NS, SERVICE, STATE, idsOf, keyOf, loadWithService, writeFlows } from './helpers.js';

const UDP_SERVICE = { address: '198.18.100.2', port: 53, protocol: 'udp', backends: [{ address: '198.18.2.1', port: 53 }] } as const;
const V6_SERVICE = { address: '2001:db8::100', port: 443, protocol: 'tcp', backends: [{ address: '2001:db8:1::1', port: 8443 }] } as const;

describe('listFlows', () => {
  let dp: Dataplane;
  let specs: FlowSpec[];
  const now = process.hrtime.bigint();
  const idOf = (view: Pick<FlowView, 'clientAddress' | 'clientPort' | 'protocol'>) => `${view.clientAddress}|${view.clientPort}|${view.protocol}`;
  const states = [STATE.synSent, STATE.established, STATE.established, STATE.finWait, STATE.closed];

  before(() => {
    const loaded = loadWithService({ services: [SERVICE, UDP_SERVICE, V6_SERVICE] });
    dp = loaded.dp;
    const tcp = idsOf(loaded.ids);
    const udp = idsOf(loaded.ids, '198.18.100.2:53/udp');
    const v6 = idsOf(loaded.ids, '[2001:db8::100]:443/tcp');
    specs = [];
    for (let i = 0; i < 3000; i++) {
      const b = i % 3;
      specs.push({
        client: `198.18.${10 + (i % 7)}.${1 + (i % 250)}`,
        clientPort: 1024 + i,
        vip: SERVICE.address,
        vipPort: 80,
        protocol: 'tcp',
        backend: SERVICE.backends[b]!.address,
        backendPort: 8080,
        serviceId: tcp.service,
        backendId: tcp.backends[b]!,
        tcpState: states[i % states.length]!,
        createdNs: now - 100n * SECOND_NS,
        forwardLastSeenNs: now - BigInt(i % 50) * SECOND_NS,
        replyLastSeenNs: now - 2n * SECOND_NS,
        packets: BigInt(i),
      });
    }
    for (let i = 0; i < 500; i++) {
      specs.push({
        client: '198.18.10.1',
        clientPort: 20000 + i,
        vip: UDP_SERVICE.address,
        vipPort: 53,
        protocol: 'udp',
        backend: '198.18.2.1',
        backendPort: 53,
        serviceId: udp.service,
        backendId: udp.backends[0]!,
        tcpState: STATE.none,
        createdNs: now - 10n * SECOND_NS,
        forwardLastSeenNs: now - SECOND_NS,
        replyLastSeenNs: now - SECOND_NS,
      });
    }
    for (let i = 0; i < 200; i++) {
      specs.push({
        client: `2001:db8:ff::${(i % 5) + 1}`,
        clientPort: 30000 + i,
        vip: V6_SERVICE.address,
        vipPort: 443,
        protocol: 'tcp',
        backend: '2001:db8:1::1',
        backendPort: 8443,
        serviceId: v6.service,
        backendId: v6.backends[0]!,
        tcpState: STATE.established,
        createdNs: now - 10n * SECOND_NS,
        forwardLastSeenNs: now - SECOND_NS,
        replyLastSeenNs: null,
      });
    }
    writeFlows(dp, specs);
  });
  after(() => dp?.close());

  function pageAll(filter: FlowFilter, limit: number, between?: (page: number) => void): FlowView[] {
    const all: FlowView[] = [];
    let cursor: string | undefined;
    for (let page = 0; ; page++) {
      const result = listFlows(dp.maps, filter, cursor, limit, { maxIndexAgeMs: 0, nowNs: now });
      assert.ok(result.items.length <= limit);
      all.push(...result.items);
      if (result.nextCursor === null) return all;
      cursor = result.nextCursor;
      between?.(page);
    }
  }

  it('pages through every flow exactly once', () => {
    const all = pageAll({}, 100);
    assert.equal(all.length, specs.length);
    assert.equal(new Set(all.map(idOf)).size, specs.length);
  });

  it('fills each view from the maps', () => {
    const view = listFlows(dp.maps, { clientAddress: '198.18.10.8', protocol: 'tcp' }, undefined, 1000, { maxIndexAgeMs: 0, nowNs: now }).items.find(
      (f) => f.clientPort === 1024 + 7,
    );
    assert.ok(view);
    const spec = specs[7]!;
    assert.deepEqual(
      { ...view, ageMs: Math.round(view.ageMs), idleMs: Math.round(view.idleMs) },
      {
        clientAddress: '198.18.10.8',
        clientPort: 1031,
        vipAddress: '198.18.100.1',
        vipPort: 80,
        backendAddress: '198.18.1.2',
        backendPort: 8080,
        protocol: 'tcp',
        state: 'established',
        ageMs: 100_000,
        idleMs: 2000,
        packets: 7,
        bytes: 700,
        replyPackets: 2,
        replyBytes: 200,
        serviceId: spec.serviceId,
        backendId: spec.backendId,
      },
    );
    const v6 = listFlows(dp.maps, { clientAddress: '2001:db8:ff::1' }, undefined, 1, { nowNs: now }).items[0]!;
    assert.equal(v6.vipAddress, '2001:db8::100');
    assert.equal(v6.backendAddress, '2001:db8:1::1');
    assert.equal(v6.replyPackets, 0);
  });

  const filters: [string, FlowFilter, (s: FlowSpec) => boolean][] = [
    ['backendId', { backendId: 0 }, () => true],
    ['protocol udp', { protocol: 'udp' }, (s) => s.protocol === 'udp'],
    ['state closed', { state: 'closed' }, (s) => s.protocol === 'tcp' && s.tcpState === STATE.closed],
    ['state none (udp)', { state: 'none' }, (s) => s.protocol === 'udp'],
    ['hideClosed', { hideClosed: true }, (s) => !(s.protocol === 'tcp' && s.tcpState === STATE.closed)],
    ['hideClosed with tcp', { hideClosed: true, protocol: 'tcp' }, (s) => s.protocol === 'tcp' && s.tcpState !== STATE.closed],
    ['client', { clientAddress: '198.18.12.3' }, (s) => s.client === '198.18.12.3'],
    ['client v6', { clientAddress: '2001:db8:ff::3' }, (s) => s.client === '2001:db8:ff::3'],
    ['no match', { clientAddress: '203.0.113.9' }, () => false],
  ];
  for (const [name, filter, expect] of filters) {
    it(`filters by ${name}`, () => {
      let predicate = expect;
      if (filter.backendId !== undefined) {
        const backendId = specs[1]!.backendId;
        filter.backendId = backendId;
        predicate = (s) => s.backendId === backendId;
      }
      const got = pageAll(filter, 37).map(idOf).sort();
      const want = specs
        .filter(predicate)
        .map((s) => idOf({ clientAddress: s.client, clientPort: s.clientPort, protocol: s.protocol }))
        .sort();
      assert.deepEqual(got, want);
    });
  }

  it('counts the whole table by state, whatever the filter', () => {
    const want = { none: 0, 'syn-sent': 0, established: 0, 'fin-wait': 0, closed: 0 };
    const names = { [STATE.synSent]: 'syn-sent', [STATE.established]: 'established', [STATE.finWait]: 'fin-wait', [STATE.closed]: 'closed' } as const;
    for (const s of specs) want[s.protocol === 'udp' ? 'none' : names[s.tcpState as keyof typeof names]]++;
    assert.equal(want.closed, 600, 'the fixture has closed flows');
    for (const filter of [{}, { clientAddress: '203.0.113.9' }, { hideClosed: true }] as FlowFilter[]) {
      const page = listFlows(dp.maps, filter, undefined, 5, { maxIndexAgeMs: 0, nowNs: now });
      assert.deepEqual(page.stateCounts, want, JSON.stringify(filter));
    }
  });

  it('combines filters', () => {
    const serviceId = specs[0]!.serviceId;
    const got = pageAll({ serviceId, state: 'established', clientAddress: '198.18.11.2' }, 10);
    const want = specs.filter((s) => s.serviceId === serviceId && s.tcpState === STATE.established && s.client === '198.18.11.2');
    assert.equal(got.length, want.length);
    assert.ok(got.length > 0);
  });

  it('keeps the cursor stable while flows are added and removed between pages', () => {
    const seen = new Map<string, number>();
    const removed = new Set<string>();
    const added: FlowSpec[] = [];
    const all = pageAll({ protocol: 'tcp' }, 50, (page) => {
      /* Remove 5 flows not seen yet, and add 5 new ones, rebuilding the snapshot each page. */
      const unseen = specs.filter((s) => s.protocol === 'tcp' && !removed.has(idOf({ clientAddress: s.client, clientPort: s.clientPort, protocol: 'tcp' })));
      for (const s of unseen.slice(page * 7, page * 7 + 5)) {
        dp.maps.flows.delete(keyOf(s));
        removed.add(idOf({ clientAddress: s.client, clientPort: s.clientPort, protocol: 'tcp' }));
      }
      const fresh = Array.from({ length: 5 }, (_, i): FlowSpec => ({ ...specs[0]!, client: '198.18.99.1', clientPort: 1000 + page * 5 + i }));
      writeFlows(dp, fresh);
      added.push(...fresh);
    });
    for (const view of all) seen.set(idOf(view), (seen.get(idOf(view)) ?? 0) + 1);
    for (const [id, n] of seen) assert.equal(n, 1, `${id} returned ${n} times`);
    for (const s of specs.filter((x) => x.protocol === 'tcp')) {
      const id = idOf({ clientAddress: s.client, clientPort: s.clientPort, protocol: 'tcp' });
      if (!removed.has(id)) assert.ok(seen.has(id), `${id} was there throughout but never returned`);
    }
    assert.ok(removed.size > 100 && added.length > 100);
  });

  it('refuses a cursor it did not issue and a bad limit', () => {
    assert.throws(() => listFlows(dp.maps, {}, 'not-a-cursor', 10), CursorError);
    assert.throws(() => listFlows(dp.maps, {}, undefined, 0), RangeError);
    assert.throws(() => listFlows(dp.maps, {}, undefined, 1001), RangeError);
  });
});

// backendHosts.*: a backend host's own check report, recorded by an operator
// and read back by address; bad reports refused with the store untouched.
// (In-process callers get zod's issues as JSON; the socket's formatter makes them sentences.)
// Through createCaller against a real agent and its real SQLite store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BACKEND_HOST_REPORT_STALE_MS, type BackendHostReport } from '@sluice/api';
import { expectCode, expectRefusedUnchanged } from './expect.js';
import type { TestAgent } from './helpers.js';
import { T, withWebServiceAgent } from './web-service.js';

let t: TestAgent;
withWebServiceAgent((agent) => (t = agent));

/* What `sluice backend-host check --json` prints on a host with one problem (arp_ignore 0). */
function report(overrides: Partial<BackendHostReport> = {}): BackendHostReport {
  return {
    host: { interface: 'eth0', addresses: ['198.19.1.2'], decap: { mode: 'xdp', guePort: 6080 } },
    checks: [
      { name: 'decapsulation program attached', ok: true, detail: 'eth0 (xdp), program id 42' },
      { name: 'VIP 198.18.100.1 on the loopback', ok: true, detail: 'on lo' },
      {
        name: 'arp_ignore (L2 DSR: no ARP replies for the VIPs on lo)',
        ok: false,
        detail: 'max(all=0, eth0=0)',
        fix: 'sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1',
      },
    ],
    counters: { ipip: 12, gue: 0, pass: 3 },
    checkedAt: Date.now() - 60_000,
    ...overrides,
  };
}

describe('backendHosts', () => {
  test('an operator records a report: read back whole, by any of its addresses, with its problems counted and an audit row', T, async () => {
    const sent = report();
    const stored = await t.as('operator').backendHosts.report(sent);
    assert.equal(stored.problems, 1);
    assert.equal(stored.stale, false);
    assert.equal(stored.reportedBy, 'test-operator');
    const [byAddress] = await t.as('viewer').backendHosts.list({ address: '198.19.1.2' });
    const { reportedAt: _at, reportedBy: _by, problems: _p, stale: _s, ...back } = byAddress!;
    assert.deepEqual(back, sent);
    assert.deepEqual(await t.as('viewer').backendHosts.list({ address: '198.19.9.2' }), []);
    const audit = await t.as('viewer').audit.list({ action: 'backend-host.report' });
    const entry = audit.items[0]!;
    assert.equal(entry.target, '198.19.1.2');
    assert.deepEqual((entry.after as { problems: string[] }).problems, ['arp_ignore (L2 DSR: no ARP replies for the VIPs on lo)']);
  });

  test('a new report of a host replaces the old one, also when the host gained an address; IPv6 is found in any spelling', T, async () => {
    await t.as('operator').backendHosts.report(report({ host: { interface: 'eth0', addresses: ['198.19.2.2'], decap: { mode: 'none', guePort: null } } }));
    const fixed = report({
      host: { interface: 'eth0', addresses: ['198.19.2.2', '2001:db8:0:0::2'], decap: { mode: 'tc', guePort: null } },
      checks: [{ name: 'decapsulation program attached', ok: true, detail: 'eth0 (tc)' }],
    });
    await t.as('operator').backendHosts.report(fixed);
    const [v4] = await t.as('viewer').backendHosts.list({ address: '198.19.2.2' });
    const [v6] = await t.as('viewer').backendHosts.list({ address: '2001:DB8::2' });
    assert.equal(v4?.problems, 0);
    assert.equal(v4?.host.decap.mode, 'tc');
    assert.deepEqual(v6?.host.addresses, ['198.19.2.2', '2001:db8::2']);
    const all = await t.as('viewer').backendHosts.list();
    assert.equal(all.filter((r) => r.host.addresses.includes('198.19.2.2')).length, 1);
  });

  test('a report checked longer ago than the stale limit shows as stale', T, async () => {
    await t.as('operator').backendHosts.report(
      report({
        host: { interface: null, addresses: ['198.19.3.2'], decap: { mode: 'none', guePort: null } },
        checkedAt: Date.now() - BACKEND_HOST_REPORT_STALE_MS - 60_000,
      }),
    );
    const [old] = await t.as('viewer').backendHosts.list({ address: '198.19.3.2' });
    assert.equal(old?.stale, true);
  });

  test('bad reports are refused and store nothing: unknown fields, wrong types, no address, bad address', T, async () => {
    const bad: [string, unknown, RegExp][] = [
      ['an unknown field', { ...report(), extra: 1 }, /extra/],
      ['an unknown check field', { ...report(), checks: [{ name: 'x', ok: true, detail: '', severity: 'high' }] }, /severity/],
      ['ok as a string', { ...report(), checks: [{ name: 'x', ok: 'yes', detail: '' }] }, /"ok"[\s\S]*expected boolean/],
      ['no address', { ...report(), host: { interface: 'eth0', addresses: [], decap: { mode: 'xdp', guePort: null } } }, /names no address/],
      ['a bad address', { ...report(), host: { interface: 'eth0', addresses: ['198.19.1'], decap: { mode: 'xdp', guePort: null } } }, /IPv4 or IPv6/],
      ['an unknown decap mode', { ...report(), host: { interface: 'eth0', addresses: ['198.19.5.2'], decap: { mode: 'ebpf', guePort: null } } }, /"mode"/],
      ['a negative counter', { ...report(), counters: { ipip: -1 } }, /"counters"/],
      ['no checkedAt', { ...report(), checkedAt: undefined }, /"checkedAt"/],
    ];
    for (const [label, input, message] of bad) {
      await expectRefusedUnchanged(t, label, () => t.as('operator').backendHosts.report(input as BackendHostReport), 'INVALID', message);
    }
  });

  test('a viewer may read but not report', T, async () => {
    await expectCode(t.as('viewer').backendHosts.report(report()), 'FORBIDDEN');
    assert.ok(Array.isArray(await t.as('viewer').backendHosts.list()));
  });
});

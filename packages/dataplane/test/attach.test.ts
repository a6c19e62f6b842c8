/*
 * Native XDP attach, atomic replace and detach on a veth pair. The test
 * creates its own network namespace and deletes it afterwards; the steps run
 * in a child process started with `ip netns exec` (netns-attach.child.ts),
 * because interface names and netlink resolve in the caller's namespace.
 *
 * To run a whole test file inside a namespace instead:
 *   ip netns add t && ip netns exec t node --import tsx --test <file>
 * (`ip netns exec` remounts /sys, which is why pins go to our own bpffs.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, hasCommand, ip, objectPath } from './helpers.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'netns-attach.child.ts');
const NS = `sluice-dp-${process.pid}`;
const VETH0 = 'sdp0';
const VETH1 = 'sdp1';

type Step = { ok: boolean; value?: unknown; error?: string; code?: string };

describe('XDP attach in a network namespace', { skip: hasCommand('ip') ? false : 'iproute2 (ip) is not installed' }, () => {
  let report: Record<string, Step>;

  before(() => {
    ip('netns', 'add', NS);
    ip('-n', NS, 'link', 'add', VETH0, 'type', 'veth', 'peer', 'name', VETH1);
    ip('-n', NS, 'link', 'set', VETH0, 'up');
    ip('-n', NS, 'link', 'set', VETH1, 'up');
    const out = execFileSync('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx', CHILD, objectPath(), VETH0, VETH1], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    report = JSON.parse(out) as Record<string, Step>;
  });
  after(() => {
    try {
      ip('netns', 'del', NS);
    } catch {
      /* before() may have failed before creating it */
    }
  });

  const ok = (name: string) => {
    const s = report[name];
    assert.ok(s?.ok, `${name}: ${s?.error}`);
    return s!.value;
  };
  const ids = () => report.ids!.value as { first: number; second: number };

  it('attaches natively and reports the attached program id', () => {
    assert.equal(ok('before'), null);
    ok('attach');
    assert.equal(ok('afterAttach'), ids().first);
  });

  it('refuses a second attach with EBUSY, naming interface and mode', () => {
    const s = report.attachBusy!;
    assert.equal(s.ok, false);
    assert.equal(s.code, 'EBUSY');
    assert.match(s.error!, /^DataplaneError: bpf_xdp_attach\(ifindex \d+ "sdp0", native\): Device or resource busy \(EBUSY\)/);
  });

  it('replaces the running program atomically', () => {
    ok('replace');
    assert.equal(ok('afterReplace'), ids().second);
  });

  it('detaches', () => {
    ok('detach');
    assert.equal(ok('afterDetach'), null);
  });

  it('will not "replace" when nothing is attached', () => {
    assert.equal(report.replaceNothing!.code, 'ENOENT');
    assert.match(report.replaceNothing!.error!, /no XDP program attached to replace/);
  });

  it('attaches and detaches in generic (skb) mode', () => {
    ok('attachSkb');
    assert.equal(ok('afterAttachSkb'), ids().first);
    ok('detachSkb');
    assert.equal(ok('afterDetachSkb'), null);
  });

  it('names a missing interface', () => {
    assert.equal(report.attachMissing!.code, 'ENODEV');
    assert.match(report.attachMissing!.error!, /^DataplaneError: if_nametoindex\("sluice-nope0"\): No such device \(ENODEV\)/);
  });

  it('runs live frames on the namespace interface', () => {
    assert.equal(ok('liveFrames'), 10);
  });
});

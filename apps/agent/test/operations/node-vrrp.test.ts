/*
 * Issue 13: what keepalived asks of and tells the agent. node.check (the
 * vrrp_script) says why this node cannot serve; `sluice node check` turns it
 * into an exit code and one line. node.role (the notify hooks) records the
 * VRRP role: shown in node.status and `sluice node status`, audited as the
 * system's own entry only when it changes, and exported as sluice_vrrp_role.
 * The test agent's data plane is loaded but sits on no interface, so its
 * check fails on "not attached" (the e2e pair test proves the passing side).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { checkVerdict } from '../../src/cli/node-check.js';
import type { MetricsServer } from '../../src/metrics/index.js';
import { startSocketServer, stopSocketServer } from '../../src/server/socket-server.js';
import { ManualHealth, type TestAgent, startTestAgent } from './helpers.js';

const SLUICE = fileURLToPath(new URL('../../bin/sluice.mjs', import.meta.url));
const T = { timeout: 60_000 };
const dir = mkdtempSync(join(tmpdir(), 'sluice-node-vrrp-'));
const socketPath = join(dir, 'agent.sock');
const tokenFile = join(dir, 'admin.token');
let t: TestAgent;
let server: Server;
let metrics: MetricsServer;

function sluice(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SLUICE, ...args],
      { env: { ...process.env, SLUICE_SOCKET: socketPath, SLUICE_TOKEN_FILE: tokenFile, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as any).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const roleEntries = () => t.store.audit.list({ limit: 100, action: 'node.role' }).items;

before(async () => {
  t = await startTestAgent(undefined, new ManualHealth());
  t.agent.ensureAdminTokenFile(tokenFile);
  server = await startSocketServer({ socketPath, agent: t.agent });
  metrics = await t.agent.startMetricsServer({ host: '127.0.0.1', port: 0 }, 'test');
});

after(async () => {
  await metrics?.close();
  if (server) await stopSocketServer(server, socketPath);
  t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('node.check names the first thing that keeps the node from serving', T, async () => {
  const check = await t.as('viewer').node.check();
  assert.deepEqual(check, {
    ok: false,
    reason: 'the XDP program is not attached on every balancer interface',
    attached: false,
    reconciled: true,
    ready: false,
    /* No sync peer configured. */
    sync: null,
  });
});

test('sluice node check: exit 1 and one line when not serving; 3 and one line when the agent cannot be reached; 2 on bad flags', T, async () => {
  const refused = await sluice(['node', 'check']);
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, '');
  assert.equal(refused.stderr, 'sluice: node check: not serving: the XDP program is not attached on every balancer interface\n');
  const unreachable = await sluice(['node', 'check'], { SLUICE_SOCKET: join(dir, 'no.sock') });
  assert.equal(unreachable.code, 3);
  assert.match(unreachable.stderr, /^sluice: node check: cannot reach the agent at .*no\.sock \(ENOENT\)\n$/);
  const bad = await sluice(['node', 'check', '--timeout', 'soon']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.equal(bad.stderr.split('\n').filter(Boolean).length, 1, bad.stderr);
  const badToken = await sluice(['node', 'check'], { SLUICE_TOKEN: 'not-a-token' });
  assert.equal(badToken.code, 1);
  assert.match(badToken.stderr, /^sluice: node check: the agent refused: .+\n$/);
});

test('checkVerdict reads tRPC answers: ok, not serving, an error, not JSON', () => {
  assert.equal(checkVerdict(200, JSON.stringify({ result: { data: { ok: true, reason: null } } })), null);
  assert.equal(
    checkVerdict(200, JSON.stringify({ result: { data: { ok: false, reason: 'the agent is not ready yet' } } })),
    'not serving: the agent is not ready yet',
  );
  assert.equal(checkVerdict(401, JSON.stringify({ error: { message: 'log in first' } })), 'the agent refused: log in first');
  assert.equal(checkVerdict(502, '<html>'), 'the agent answered HTTP 502 with no JSON');
  assert.equal(checkVerdict(200, JSON.stringify({ result: {} })), 'the agent answered HTTP 200 without a check');
});

test('node.role: recorded, shown, audited once per change as sluice-agent; a viewer may not report one; a bad role changes nothing', T, async () => {
  assert.equal((await t.as('viewer').node.status()).vrrp, null, 'no role before any report');
  const backup = await t.as('operator').node.role({ role: 'backup', instance: 'VI_1' });
  assert.equal(backup.role, 'backup');
  assert.equal(backup.instance, 'VI_1');
  const again = await t.as('operator').node.role({ role: 'backup', instance: 'VI_1' });
  assert.equal(again.since, backup.since, 'a repeated report keeps since');
  assert.ok(again.reportedAt >= backup.reportedAt);
  const master = await t.as('admin').node.role({ role: 'master', instance: 'VI_1' });
  assert.deepEqual((await t.as('viewer').node.status()).vrrp, master);

  const entries = roleEntries();
  assert.deepEqual(entries.map((e) => [e.actor, e.before, e.after]).reverse(), [
    ['sluice-agent', null, { role: 'backup', instance: 'VI_1', reportedBy: 'test-operator' }],
    ['sluice-agent', { role: 'backup' }, { role: 'master', instance: 'VI_1', reportedBy: 'test-admin' }],
  ]);

  await assert.rejects(t.as('viewer').node.role({ role: 'fault' }), /FORBIDDEN|operator/i);
  await assert.rejects(t.as('operator').node.role({ role: 'primary' as 'master' }));
  await assert.rejects(t.as('operator').node.role({ role: 'fault', instance: 'bad name; rm' }));
  assert.equal((await t.as('viewer').node.status()).vrrp?.role, 'master', 'refused reports change nothing');
  assert.equal(roleEntries().length, 2);
});

test('sluice node role and node status; sluice_vrrp_role is 1 for the current role only', T, async () => {
  const set = await sluice(['node', 'role', 'FAULT', '--instance', 'VI_1']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /^vrrp: FAULT of instance VI_1 since /);
  const status = await sluice(['node', 'status']);
  assert.match(status.stdout, /^vrrp: FAULT of instance VI_1 since .* \(last reported .*\)$/m);
  const bad = await sluice(['node', 'role', 'primary']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /the role is one of master, backup, fault, stop/);

  const body = await (await fetch(`http://127.0.0.1:${metrics.address.port}/metrics`)).text();
  const series = body.split('\n').filter((l) => l.startsWith('sluice_vrrp_role{'));
  assert.deepEqual(series.sort(), [
    'sluice_vrrp_role{role="backup"} 0',
    'sluice_vrrp_role{role="fault"} 1',
    'sluice_vrrp_role{role="master"} 0',
    'sluice_vrrp_role{role="stop"} 0',
  ]);
});

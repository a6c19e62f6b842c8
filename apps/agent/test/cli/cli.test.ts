// The `sluice` CLI as a separate process against a real agent over its unix
// socket: tables for people, --json for scripts, the agent's message and a
// non-zero exit on errors.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startSocketServer, stopSocketServer } from '../../src/server/socket-server.js';
import { ManualHealth, type TestAgent, startTestAgent } from '../operations/helpers.js';
import { addFlows } from '../operations/flows.js';

const SLUICE = fileURLToPath(new URL('../../bin/sluice.mjs', import.meta.url));
const T = { timeout: 60_000 };
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
const socketPath = join(dir, 'agent.sock');
const tokenFile = join(dir, 'admin.token');
let t: TestAgent;
let server: Server;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sluice(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [SLUICE, ...args],
      { env: { ...process.env, SLUICE_SOCKET: socketPath, SLUICE_TOKEN_FILE: tokenFile, ...options.env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as any).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(options.input ?? '');
  });
}

async function ok(args: string[], input?: string): Promise<string> {
  const run = await sluice(args, { input });
  assert.equal(run.code, 0, `sluice ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

before(async () => {
  /* An IPv4 tunnel source, so ipip and gue services can be made (the forwarding tests cover its absence). */
  t = await startTestAgent(undefined, new ManualHealth(), { tunnel: { source4: '192.0.2.1', guePort: 6080, source4HashBits: 0, source6HashBits: 0 } });
  t.agent.ensureAdminTokenFile(tokenFile);
  server = await startSocketServer({ socketPath, agent: t.agent });
});

after(async () => {
  if (server) await stopSocketServer(server, socketPath);
  t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('service add / ls / set, IPv4 and IPv6, with health-check flags', T, async () => {
  assert.match(
    await ok([
      'service',
      'add',
      '198.18.100.1:80/tcp',
      '--algorithm',
      'maglev',
      '--check',
      'http',
      '--check-path',
      '/health',
      '--check-interval',
      '500ms',
      '--check-timeout',
      '200ms',
      '--fall',
      '2',
    ]),
    /service 198.18.100.1:80\/tcp added \(maglev, nat, check http\)/,
  );
  const v6 = JSON.parse(await ok(['service', 'add', '[2001:db8:100::1]:53/udp', '--json']));
  assert.equal(v6.name, '[2001:db8:100::1]:53/udp');
  assert.equal(v6.healthCheck.type, 'none');
  await ok(['service', 'set', '198.18.100.1:80/tcp', '--algorithm', 'least-connections']);
  const table = await ok(['service', 'ls']);
  const lines = table.trim().split('\n');
  assert.match(lines[0]!, /^SERVICE\s+ALGORITHM\s+MODE\s+CHECK\s+BACKENDS\s+ELIGIBLE\s+ACTIVE\s+CLIENT-RATE$/);
  assert.match(table, /198\.18\.100\.1:80\/tcp\s+least-connections\s+nat\s+http\s+0\s+0\s+0\s+none/);
  /* Columns line up: every row's second column starts where the header's does. */
  const column = lines[0]!.indexOf('ALGORITHM');
  assert.ok(
    lines.slice(1).every((line) => line[column - 1] === ' ' && line[column] !== ' '),
    table,
  );
  const service = t.store.services.get('198.18.100.1:80/tcp')!;
  assert.deepEqual(service.healthCheck, { type: 'http', intervalMs: 500, timeoutMs: 200, rise: 2, fall: 2, path: '/health', expectStatus: [200, 399] });
});

test('service --client-rate: add and set it, ls shows it, 0 turns it off; a bad value is a usage error and changes nothing', T, async () => {
  const svc = '198.18.100.2:80/tcp';
  assert.match(
    await ok(['service', 'add', svc, '--client-rate', '20']),
    /service 198\.18\.100\.2:80\/tcp added \(round-robin, nat, client rate 20\/s, check tcp\)/,
  );
  assert.match(await ok(['service', 'ls']), /198\.18\.100\.2:80\/tcp\s+round-robin\s+nat\s+tcp\s+0\s+0\s+0\s+20\/s/);
  assert.equal(JSON.parse(await ok(['service', 'set', svc, '--client-rate', '7', '--json'])).clientRate, 7);
  assert.equal(t.store.services.get(svc)?.clientRate, 7);
  const notNumber = await sluice(['service', 'set', svc, '--client-rate', 'lots']);
  assert.equal(notNumber.code, 2);
  assert.match(notNumber.stderr, /--client-rate must be a whole number, not "lots"/);
  const tooHigh = await sluice(['service', 'set', svc, '--client-rate', '2000000']);
  assert.equal(tooHigh.code, 1);
  assert.match(tooHigh.stderr, /INVALID: .*clientRate must be 0 \(no limit\) to 1000000 new connections per client per second/);
  assert.equal(t.store.services.get(svc)?.clientRate, 7);
  assert.match(await ok(['service', 'set', svc, '--client-rate', '0']), /service 198\.18\.100\.2:80\/tcp set \(round-robin, nat, check tcp\)/);
  await ok(['service', 'rm', svc]);
});

test('node status: the agent and its data plane (agent.info: the console node panel) above "bgp: off"; --json carries both', T, async () => {
  const info = await t.as('viewer').agent.info();
  const objectFile = info.dataplane.objectPath;
  /* The build id, computed here from the file the test helper loaded. */
  assert.equal(info.dataplane.buildId, createHash('sha256').update(readFileSync(objectFile)).digest('hex'));
  assert.equal(info.flowTable.capacity, info.limits.flowTableSize);
  const human = await ok(['node', 'status']);
  assert.match(human, new RegExp(`^agent: version test, pid ${info.pid}, up `, 'm'));
  assert.match(
    human,
    new RegExp(
      `^data plane: build ${info.dataplane.buildId.slice(0, 12)} \\(sha256 of ${objectFile.replace(/[.]/g, '\\.')}\\), program id ${info.dataplane.programId}$`,
      'm',
    ),
  );
  /* The test agent's data plane sits on no interface. */
  assert.match(human, /^interfaces: none$/m);
  assert.match(human, new RegExp(`^flow table: (not counted yet|\\d+ \\([\\d.]+% full\\)) of ${info.flowTable.capacity} entries$`, 'm'));
  assert.match(human, /^draining: no {4}open flows: \d+$/m);
  assert.match(human, /^bgp: off \(the agent runs without --bgp-config; it announces nothing\)$/m);
  const json = JSON.parse(await ok(['node', 'status', '--json']));
  assert.equal(json.agent.dataplane.buildId, info.dataplane.buildId);
  assert.equal(json.agent.pinDir, info.pinDir);
  assert.equal(json.bgp, null);
  assert.equal(json.drainTimeoutMs, null);
  const drain = await sluice(['node', 'drain', '--timeout', '1s']);
  assert.equal(drain.code, 1);
  assert.match(drain.stderr, /node drain: this agent announces nothing \(it runs without --bgp-config\)/);
});

test('backend add / set / drain / ready / maint / rm, single and bulk', T, async () => {
  const svc = '198.18.100.1:80/tcp';
  for (const i of [1, 2, 3]) await ok(['backend', 'add', svc, `198.19.${i}.2:8080`, '--weight', String(i)]);
  await ok(['backend', 'set', svc, '198.19.1.2:8080', '198.19.2.2:8080', '--weight', '5']);
  assert.deepEqual(
    t.store.services.backends(svc).map((b) => b.weight),
    [5, 5, 3],
  );
  const drained = await ok(['backend', 'drain', svc, '198.19.3.2:8080', '--drain-timeout', '30s']);
  assert.match(drained, /BACKEND\s+WEIGHT\s+STATE\s+HEALTH\s+ACTIVE\s+DRAIN/);
  assert.match(drained, /198\.19\.3\.2:8080\s+3\s+drain\s+/);
  assert.equal(t.store.services.backend(svc, '198.19.3.2:8080')?.drainTimeoutMs, 30_000);
  await ok(['backend', 'maint', svc, '198.19.1.2:8080', '198.19.2.2:8080']);
  await ok(['backend', 'ready', svc, '198.19.1.2:8080', '198.19.2.2:8080', '198.19.3.2:8080']);
  assert.deepEqual(
    t.store.services.backends(svc).map((b) => b.state),
    ['ready', 'ready', 'ready'],
  );
  const list = JSON.parse(await ok(['backend', 'ls', svc, '--json']));
  assert.equal(list.length, 3);
  addFlows(t, svc, '198.19.3.2:8080', 2);
  const refused = await sluice(['backend', 'rm', svc, '198.19.3.2:8080']);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /^sluice: CONFLICT: backend 198\.19\.3\.2:8080 of 198\.18\.100\.1:80\/tcp still carries 2 active flows; drain it first or use force\n$/,
  );
  assert.match(await ok(['backend', 'rm', svc, '198.19.3.2:8080', '--force']), /removed 198\.19\.3\.2:8080 \(2 open connections cut\)/);
});

test('backend ls --json --stable: the same text while only probe times and open flows change; sorted; refused without --json', T, async () => {
  const svc = '198.18.100.9:80/tcp';
  await ok(['service', 'add', svc, '--check', 'tcp']);
  for (const last of [3, 1, 2]) await ok(['backend', 'add', svc, `198.19.9.${last}:8080`]);
  const full = JSON.parse(await ok(['backend', 'ls', svc, '--json']));
  const first = await ok(['backend', 'ls', svc, '--json', '--stable']);
  addFlows(t, svc, '198.19.9.2:8080', 2);
  await new Promise((resolve) => setTimeout(resolve, 5)); // the next probe time differs
  const second = await ok(['backend', 'ls', svc, '--json', '--stable']);
  assert.equal(second, first, 'nothing but volatile fields changed');
  assert.notDeepEqual(JSON.parse(await ok(['backend', 'ls', svc, '--json'])), full, 'the full listing does change (flows, probe times)');
  const stable = JSON.parse(first);
  assert.deepEqual(
    stable.map((b: { endpoint: string }) => b.endpoint),
    ['198.19.9.1:8080', '198.19.9.2:8080', '198.19.9.3:8080'],
  );
  assert.deepEqual(Object.keys(stable[0].health), ['up', 'pending']);
  assert.equal('activeFlows' in stable[0], false);
  await ok(['backend', 'set', svc, '198.19.9.1:8080', '--weight', '4']);
  assert.notEqual(await ok(['backend', 'ls', svc, '--json', '--stable']), first, 'a real change shows');
  const refused = await sluice(['backend', 'ls', svc, '--stable']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--stable shapes the --json output: add --json/);
  await ok(['service', 'rm', svc, '--force']);
});

test('errors: the agent message and a non-zero exit; usage errors exit 2; no agent exits 3', T, async () => {
  const duplicate = await sluice(['service', 'add', '198.18.100.1:80/tcp']);
  assert.equal(duplicate.code, 1);
  assert.match(duplicate.stderr, /CONFLICT: service 198\.18\.100\.1:80\/tcp already exists/);
  const badWeight = await sluice(['backend', 'add', '198.18.100.1:80/tcp', '198.19.9.2:8080', '--weight', '0']);
  assert.equal(badWeight.code, 1);
  assert.match(badWeight.stderr, /INVALID: invalid input: weight: weight must be 1 to 65535/);
  const badName = await sluice(['service', 'add', '2001:db8::1:80/tcp']);
  assert.equal(badName.code, 2);
  assert.match(badName.stderr, /IPv6 as \[ADDR\]:PORT/);
  const unknown = await sluice(['backend', 'frobnicate']);
  assert.equal(unknown.code, 2);
  const unknownCommand = await sluice(['frobnicate']);
  assert.equal(unknownCommand.code, 2);
  assert.equal(
    unknownCommand.stderr,
    'sluice: unknown command "frobnicate"; the commands are agent, teardown, service, backend, backend-host, conns, stats, health, audit, config, user, token, node, fleet (sluice --help shows them all)\n',
    'one sentence, not the whole usage',
  );
  const noAgent = await sluice(['service', 'ls'], { env: { SLUICE_SOCKET: join(dir, 'nothing.sock') } });
  assert.equal(noAgent.code, 3, noAgent.stderr);
  assert.match(noAgent.stderr, /cannot reach the agent at .*nothing\.sock/);
  const noToken = await sluice(['service', 'ls'], { env: { SLUICE_TOKEN_FILE: join(dir, 'missing.token') } });
  assert.equal(noToken.code, 1);
  assert.match(noToken.stderr, /no admin token file at .*missing\.token/);
});

test('out-of-range numbers reach the agent, which names the range; every refusal is a sentence, none a parser or schema dump', T, async () => {
  const svc = '198.18.100.1:80/tcp';
  const before = JSON.stringify(t.store.services.backends());
  /* parseArgs alone calls "--weight -1" ambiguous; zod alone says 'Invalid option: expected one of "round-robin"|...'. */
  const DUMP = /ambiguous|Did you forget|Invalid option|expected one of "|Too small|expected number|ERR_/;
  const cases: [string[], RegExp][] = [
    [['backend', 'set', svc, '198.19.1.2:8080', '--weight', '-1'], /weight must be 1 to 65535/],
    [['backend', 'add', svc, '198.19.1.9:8080', '--weight', '-3'], /weight must be 1 to 65535/],
    [['backend', 'add', svc, '198.19.1.9:8080', '--state', 'nope'], /state must be one of ready, drain, maint/],
    [
      ['service', 'add', '198.18.100.77:80/tcp', '--algorithm', 'fastest'],
      /algorithm must be one of round-robin, weighted-round-robin, least-connections, source-hash, maglev/,
    ],
    [['service', 'add', '198.18.100.77:80/tcp', '--client-rate', '-1'], /clientRate must be 0 \(no limit\) to 1000000/],
    [['service', 'add', '198.18.100.77:80/tcp', '--rise', '-2'], /rise must be 1 to 100/],
    [['service', 'set', svc, '--check', 'ping'], /check type must be one of tcp, http, none/],
    [['conns', '--limit', '-5'], /limit must be 1 to 1000/],
    [['conns', '--limit', '0'], /limit must be 1 to 1000/],
    [['conns', '--protocol', 'sctp'], /protocol must be tcp or udp/],
    [['conns', '--state', 'open'], /state must be one of none, syn-sent, established, fin-wait, closed/],
    [['audit', '--limit', '-1'], /limit must be 1 to 500/],
  ];
  for (const [args, reason] of cases) {
    const run = await sluice(args);
    assert.equal(run.code, 1, `sluice ${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, reason, `sluice ${args.join(' ')}`);
    assert.doesNotMatch(run.stderr, DUMP, `sluice ${args.join(' ')}`);
  }
  const usage: [string[], RegExp][] = [
    [['service', 'add', '198.18.100.77:80/tcp', '--check-interval', '-1s'], /--check-interval must be a duration of 0 or more like 30s/],
    [['backend', 'drain', svc, '198.19.1.2:8080', '--drain-timeout', '-3s'], /--drain-timeout must be a duration of 0 or more/],
    [['backend', 'set', svc, '198.19.1.2:8080', '--weight'], /--weight needs a value/],
    [['service', 'ls', '--bogus'], /--bogus is not an option of sluice service ls/],
    [['backend', 'rm', svc, '198.19.1.2:8080', '--force=yes'], /--force takes no value/],
    [['service', 'rm', svc, '198.18.100.78:80/tcp'], /sluice service rm takes 1 argument; left over: "198\.18\.100\.78:80\/tcp"/],
    [['node', 'status', '--timeout', '5s'], /--timeout goes with node drain only/],
  ];
  for (const [args, reason] of usage) {
    const run = await sluice(args);
    assert.equal(run.code, 2, `sluice ${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, reason, `sluice ${args.join(' ')}`);
    assert.doesNotMatch(run.stderr, DUMP, `sluice ${args.join(' ')}`);
  }
  assert.ok(t.store.services.get(svc), 'service rm with a left-over argument removed nothing');
  assert.equal(t.store.services.get('198.18.100.77:80/tcp'), undefined);
  assert.equal(JSON.stringify(t.store.services.backends()), before, 'no refused line changed a backend');
});

test('the token file is read only when a request goes out: a usage error says so even when the file cannot be read', T, async () => {
  const missing = { env: { SLUICE_TOKEN_FILE: join(dir, 'missing.token') } };
  for (const args of [
    ['service', 'frobnicate'],
    ['service', 'add'],
    ['service', 'rm', '198.18.100.1:80/tcp', 'extra'],
    ['backend', 'set', '198.18.100.1:80/tcp', '198.19.1.2:8080', '--weight', 'heavy'],
    ['backend', 'add', '198.18.100.1:80/tcp', 'not-an-endpoint'],
    ['conns', '--limit', 'many'],
    ['token', 'create', 'x'],
  ]) {
    const run = await sluice(args, missing);
    assert.equal(run.code, 2, `sluice ${args.join(' ')}: ${run.stderr}`);
    assert.doesNotMatch(run.stderr, /token file/, `sluice ${args.join(' ')} read the token file: ${run.stderr}`);
  }
  /* A request that does go out reads it, and says which file it could not read. */
  const ls = await sluice(['service', 'ls'], missing);
  assert.equal(ls.code, 1);
  assert.match(ls.stderr, /no admin token file at .*missing\.token/);
  /* --token-file beats $SLUICE_TOKEN, as every flag beats its variable. */
  const flagWins = await sluice(['service', 'ls', '--token-file', join(dir, 'missing.token')], { env: { SLUICE_TOKEN: 'slk_not-a-token' } });
  assert.match(flagWins.stderr, /no admin token file at .*missing\.token/);
});

test('conns, stats, health, audit print tables and JSON', T, async () => {
  const svc = '198.18.100.1:80/tcp';
  addFlows(t, svc, '198.19.1.2:8080', 3, 43000);
  const conns = await ok(['conns', '--backend', '198.19.1.2:8080', '--limit', '2']);
  /* The flow table's summary line first (since 72fbabb), then the page. */
  assert.match(conns, /^flow table: \d+ of [\d.k]+ .*\nCLIENT\s+SERVICE\s+BACKEND\s+PROTO\s+STATE/);
  assert.equal(conns.trim().split('\n').length, 5, conns); /* summary, header, 2 rows, "more: --cursor" */
  assert.match(conns, /more: --cursor \S+/);
  const page = JSON.parse(await ok(['conns', '--service', svc, '--json', '--limit', '100']));
  assert.equal(page.items.length, 3);
  const stats = await ok(['stats']);
  assert.match(stats, /SERVICE\s+PACKETS\s+BYTES/);
  /* The error signals of a nat backend: resets and unanswered SYNs observable (0 here), incomplete handshakes not (n/a). */
  assert.match(stats, /SERVICE\s+BACKEND\s+DROPS BY REASON\s+RESETS\s+SYN NO REPLY\s+HANDSHAKE INCOMPLETE\s+PROBE LATENCY/);
  assert.match(stats, /198\.18\.100\.1:80\/tcp\s+198\.19\.1\.2:8080\s+0\s+0\s+0\s+n\/a\s/);
  const health = await ok(['health']);
  assert.match(health, /SERVICE\s+BACKEND\s+STATE\s+CHECK\s+HEALTH/);
  const audit = JSON.parse(await ok(['audit', '--json', '--limit', '3']));
  assert.equal(audit.items.length, 3);
  assert.equal(audit.items[0].actor, 'root');
});

test('conns --backend: a backend serving two services lists its connections in both; --service narrows it to one', T, async () => {
  const web = '198.18.100.1:80/tcp';
  const alt = '198.18.100.9:8443/tcp';
  await ok(['service', 'add', alt]);
  await ok(['backend', 'add', alt, '198.19.7.2:8080']);
  await ok(['backend', 'add', web, '198.19.7.2:8080']);
  addFlows(t, web, '198.19.7.2:8080', 2, 45000);
  addFlows(t, alt, '198.19.7.2:8080', 1, 46000);
  const both = JSON.parse(await ok(['conns', '--backend', '198.19.7.2:8080', '--json', '--limit', '100']));
  assert.deepEqual(both.items.map((f: { service: string; clientPort: number }) => `${f.service} ${f.clientPort}`).sort(), [
    `${web} 45000`,
    `${web} 45001`,
    `${alt} 46000`,
  ]);
  const table = await ok(['conns', '--backend', '198.19.7.2:8080']);
  assert.equal(table.trim().split('\n').length, 5, table); /* summary, header and 3 rows */
  const one = JSON.parse(await ok(['conns', '--backend', '198.19.7.2:8080', '--service', alt, '--json']));
  assert.deepEqual(
    one.items.map((f: { service: string }) => f.service),
    [alt],
  );
  await ok(['service', 'rm', alt, '--force']);
  await ok(['backend', 'rm', web, '198.19.7.2:8080', '--force']);
});

test('service --mode and set-mode; in a bypass mode the counts are marked as estimates; a bad mode is refused and changes nothing', T, async () => {
  const svc = '198.18.100.60:80/tcp';
  /* dsr with no backends yet: nothing to route-check in the test's namespace. */
  assert.match(
    await ok(['service', 'add', svc, '--mode', 'dsr', '--check', 'none']),
    /service 198\.18\.100\.60:80\/tcp added \(round-robin, dsr, check none\)/,
  );
  assert.match(
    await ok(['service', 'set-mode', svc, 'ipip']),
    /service 198\.18\.100\.60:80\/tcp now uses ipip for new connections; open connections keep the mode they began with/,
  );
  assert.equal(t.store.services.get(svc)?.mode, 'ipip');
  await ok(['backend', 'add', svc, '198.19.60.2:80']);
  addFlows(t, svc, '198.19.60.2:80', 3);
  const services = await ok(['service', 'ls']);
  assert.match(services, /198\.18\.100\.60:80\/tcp\s+round-robin\s+ipip\s+none\s+1\s+1\s+~3\s+none/);
  assert.match(services, /~ estimate: in dsr, ipip and gue the replies bypass the balancer/);
  const backends = await ok(['backend', 'ls', svc]);
  assert.match(backends, /198\.19\.60\.2:80\s+1\s+ready\s+n\/a\s+~3/);
  assert.match(backends, /~ estimate:/);
  assert.equal(JSON.parse(await ok(['service', 'ls', '--json'])).find((s: { name: string }) => s.name === svc).activeIsEstimate, true);

  const before = JSON.stringify(t.store.services.get(svc));
  const bad = await sluice(['service', 'set-mode', svc, 'tun']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /mode must be one of nat, dsr, ipip, gue, not "tun"/);
  const badAdd = await sluice(['service', 'set', svc, '--mode', 'tun']);
  assert.notEqual(badAdd.code, 0);
  assert.match(badAdd.stderr, /mode must be one of nat, dsr, ipip, gue/);
  assert.equal(JSON.stringify(t.store.services.get(svc)), before);
  /* A nat service's counts are exact: no mark, no note. */
  await ok(['service', 'set-mode', svc, 'nat']);
  const exact = await ok(['service', 'ls']);
  assert.match(exact, /198\.18\.100\.60:80\/tcp\s+round-robin\s+nat\s+none\s+1\s+1\s+3\s+none/);
  assert.doesNotMatch(exact, /~ estimate/);
  /* The config tests below count the services the earlier tests made. */
  await ok(['service', 'rm', svc, '--force']);
});

test('config export to YAML and import back: a round trip; import of a broken file changes nothing', T, async () => {
  const file = join(dir, 'sluice.yaml');
  assert.match(await ok(['config', 'export', file]), /exported 2 services/);
  assert.match(readFileSync(file, 'utf8'), /address: 198\.18\.100\.1/);
  assert.match(await ok(['config', 'import', file]), /services: \+0 ~0 -0\n {2}backends: \+0 ~0 -0/);
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, JSON.stringify({ services: [{ address: '198.18.100.1', port: 0, protocol: 'tcp' }] }));
  const before = t.store.exportConfig();
  const run = await sluice(['config', 'import', broken]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /config .*broken\.json: services\.0\.port: port must be 1 to 65535/);
  assert.deepEqual(t.store.exportConfig(), before);
});

test('config import --dry-run prints every change named and changes nothing; a bad file lists every problem', T, async () => {
  const file = join(dir, 'preview.json');
  await ok(['config', 'export', file]);
  const document = JSON.parse(readFileSync(file, 'utf8'));
  const web = document.services.find((s: { address: string; port: number }) => s.address === '198.18.100.1' && s.port === 80);
  const algorithmBefore = web.algorithm;
  web.algorithm = 'round-robin';
  web.backends.push({ address: '198.19.9.2', port: 8080, weight: 2, state: 'ready' });
  writeFileSync(file, JSON.stringify(document));
  const before = t.store.exportConfig();
  const preview = await ok(['config', 'import', '--dry-run', file]);
  assert.match(preview, /^would import .*preview\.json:\n {2}services: \+0 ~1 -0\n {2}backends: \+1 ~0 -0\n/);
  assert.ok(preview.includes(`\n  ~ service 198.18.100.1:80/tcp: algorithm "${algorithmBefore}" -> "round-robin"\n`), preview);
  assert.match(preview, /\n {2}\+ backend 198\.19\.9\.2:8080 of 198\.18\.100\.1:80\/tcp: weight 2, ready\n?$/);
  assert.deepEqual(t.store.exportConfig(), before, 'the dry run changed nothing');

  const bad = join(dir, 'bad.json');
  writeFileSync(
    bad,
    JSON.stringify({ services: [{ address: '198.18.100.1', port: 0, protocol: 'tcp', algorithm: 'fastest', backends: [{ address: 'x', port: 80 }] }] }),
  );
  const run = await sluice(['config', 'import', '--dry-run', bad]);
  assert.equal(run.code, 1);
  for (const problem of [/services\.0\.port: port must be 1 to 65535/, /services\.0\.algorithm: /, /services\.0\.backends\.0\.address: /])
    assert.match(run.stderr, problem);
  assert.deepEqual(t.store.exportConfig(), before);
});

test('users: add with a password on stdin, then log in with it', T, async () => {
  await ok(['user', 'add', 'vera', '--role', 'viewer'], 'a long viewer password\n');
  assert.match(await ok(['user', 'ls']), /vera\s+viewer/);
  const session = await t.authenticator.login('vera', 'a long viewer password', { source: 'local', previousToken: null });
  const denied = await sluice(['backend', 'drain', '198.18.100.1:80/tcp', '198.19.1.2:8080'], { env: { SLUICE_TOKEN: session.token } });
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /FORBIDDEN: backends\.setState needs role operator/);
});

test('user passwd: current and new password from stdin, never argv; other sessions end; a wrong one or a short one changes nothing', T, async () => {
  await ok(['user', 'add', 'wanda', '--role', 'viewer'], 'wanda first password\n');
  const other = await t.authenticator.login('wanda', 'wanda first password', { source: 'local', previousToken: null });
  const hashBefore = t.store.identities.user('wanda')!.passwordHash;
  /* No admin token is needed: the current password is the proof. */
  const noToken = { SLUICE_TOKEN_FILE: join(dir, 'no-such-token') };
  const wrong = await sluice(['user', 'passwd', 'wanda'], { input: 'not the password\nwanda second password\n', env: noToken });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /wrong user name or password/);
  const short = await sluice(['user', 'passwd', 'wanda'], { input: 'wanda first password\nshort\n', env: noToken });
  assert.equal(short.code, 1);
  assert.match(short.stderr, /at least 10 characters/);
  const oneLine = await sluice(['user', 'passwd', 'wanda'], { input: 'wanda first password\n', env: noToken });
  assert.equal(oneLine.code, 2);
  assert.match(oneLine.stderr, /stdin must hold 2 lines: current password, then new password/);
  assert.equal(t.store.identities.user('wanda')!.passwordHash, hashBefore, 'refusals changed nothing');
  assert.equal(t.authenticator.identify(other.token)?.user, 'wanda');

  const run = await sluice(['user', 'passwd', 'wanda', '--json'], { input: 'wanda first password\nwanda second password\n', env: noToken });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { user: 'wanda', sessionsEnded: 1 });
  assert.equal(t.authenticator.identify(other.token), null, 'the other session ended');
  assert.equal((await t.authenticator.login('wanda', 'wanda second password', { source: 'local', previousToken: null })).user, 'wanda');
  assert.equal(t.store.audit.list({ action: 'auth.changePassword', limit: 1 }).items[0]?.actor, 'wanda');
});

test('tokens: create prints the secret once, list never does, revoke refuses it at once; user unlock ends a lock', T, async () => {
  const created = JSON.parse(await ok(['token', 'create', 'ci-bot', '--role', 'viewer', '--json'])) as { token: string };
  const listed = await ok(['token', 'list']);
  assert.match(listed, /^TOKEN\s+ROLE\s+CREATED BY\s+CREATED\s+LAST USED/);
  assert.match(listed, /ci-bot\s+viewer\s+root\s+\S+ \S+\s+never/);
  assert.ok(!listed.includes(created.token.slice(4)), 'no secret in the list');
  assert.match(await ok(['token', 'revoke', 'ci-bot']), /token ci-bot revoked/);
  const refused = await sluice(['service', 'ls'], { env: { SLUICE_TOKEN: created.token } });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /UNAUTHENTICATED/);

  /* Two free failures, the third makes vera wait: throttled state that the unlock must find and clear. */
  for (let i = 0; i < 3; i++)
    await assert.rejects(
      () => t.authenticator.login('vera', `wrong password ${i}`, { source: '192.0.2.5', previousToken: null }),
      /wrong user name or password/,
    );
  await assert.rejects(() => t.authenticator.login('vera', 'a long viewer password', { source: '192.0.2.6', previousToken: null }), /too many failed logins/);
  assert.match(await ok(['user', 'unlock', 'vera']), /^user vera: unlocked$/m);
  assert.match(await ok(['user', 'unlock', 'vera']), /^user vera: was not locked or throttled$/m);
  assert.equal((await sluice(['user', 'unlock'])).code, 2);
});

test('backend-host report: a host check from stdin or a file is stored and read back; bad JSON or fields are a usage error and store nothing', T, async () => {
  const check = {
    host: { interface: 'eth0', addresses: ['198.19.7.2'], decap: { mode: 'xdp', guePort: null } },
    checks: [{ name: 'VIP 198.18.100.1 on the loopback', ok: false, detail: 'missing', fix: 'ip addr add 198.18.100.1/32 dev lo' }],
    counters: { ipip: 1 },
    checkedAt: Date.now(),
  };
  assert.match(
    await ok(['backend-host', 'report', '-'], JSON.stringify(check)),
    /^recorded the check of 198\.19\.7\.2 \(1 problem\); backends at that address show it$/m,
  );
  const file = join(dir, 'check.json');
  writeFileSync(file, JSON.stringify({ ...check, checks: [] }));
  const stored = JSON.parse(await ok(['backend-host', 'report', file, '--json'])) as { problems: number; reportedBy: string };
  assert.equal(stored.problems, 0);
  const before = await t.as('viewer').backendHosts.list();
  for (const [input, message] of [
    ['{"host":', /stdin is not JSON/],
    [JSON.stringify({ ...check, surprise: true }), /not a backend-host check report; nothing was stored:\n {2}\(root\): .*surprise/],
    [JSON.stringify({ ...check, checkedAt: 'now' }), /checkedAt: /],
  ] as const) {
    const run = await sluice(['backend-host', 'report', '-'], { input });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, message);
  }
  assert.deepEqual(await t.as('viewer').backendHosts.list(), before);
});

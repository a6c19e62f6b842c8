// `--help` and `-h` on every command and subcommand, walked from the CLI's own
// command table: usage on stdout, exit 0, and nothing done. A plain socket
// stands where the agent's would be and counts connections, so a command that
// ran instead of printing its usage shows up as a connection (or as files in
// the data and run directories the line names). Each command runs as its own
// `sluice` process; the subcommands run in one process (help-runner.ts), as a
// process per line takes seconds each.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { COMMANDS } from '../../src/cli/main.js';

const SLUICE = fileURLToPath(new URL('../../bin/sluice.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-help-'));
const socketPath = join(dir, 'agent.sock');
/* Where a command that ran would leave traces: none of these may exist afterwards. */
const traces = { dataDir: join(dir, 'data'), runDir: join(dir, 'backend-host'), pinDir: join(dir, 'pins'), tokenFile: join(dir, 'admin.token') };
let listener: Server;
let connections = 0;

const RUNNER = fileURLToPath(new URL('./help-runner.ts', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(argv: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      argv,
      { env: { ...process.env, SLUICE_SOCKET: socketPath, SLUICE_TOKEN_FILE: traces.tokenFile }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as any).code ?? 1) : 0, stdout, stderr }),
    ).stdin?.end();
  });
}

before(async () => {
  listener = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(socketPath, resolve));
});

after(async () => {
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/*
 * Arguments that would make each command act (and leave a trace) if --help were
 * ignored. The interface does not exist, so even then nothing is attached anywhere.
 */
const NO_SUCH_INTERFACE = 'sluice-none0';
const ACTING_ARGS: Record<string, string[]> = {
  agent: [
    '--data-dir',
    traces.dataDir,
    '--pin-dir',
    traces.pinDir,
    '--socket',
    socketPath,
    '--token-file',
    traces.tokenFile,
    '--interfaces',
    NO_SUCH_INTERFACE,
  ],
  teardown: ['--interfaces', NO_SUCH_INTERFACE, '--pin-dir', traces.pinDir],
  'backend-host': ['--run-dir', traces.runDir, '--interface', NO_SUCH_INTERFACE, '--address', '192.0.2.1'],
};

const lineOf = (name: string, verb: string | undefined, flag: string) => [name, ...(verb ? [verb] : []), ...(ACTING_ARGS[name] ?? []), flag];

function assertUsageOnly(name: string, args: string[], result: Run, connectionsBefore: number) {
  const line = `sluice ${args.join(' ')}`;
  assert.equal(result.code, 0, `${line}: exit ${result.code}; stderr: ${result.stderr}`);
  assert.equal(result.stderr, '', line);
  assert.match(result.stdout, new RegExp(`^usage: sluice ${name}(\\s|$)`), line);
  assert.equal(connections, connectionsBefore, `${line}: a request reached the socket`);
  for (const [what, path] of Object.entries(traces)) assert.equal(existsSync(path), false, `${line}: ${what} ${path} was created`);
}

test('the command table lists every command the usage names, and the verbs of those that take one', () => {
  assert.deepEqual(Object.keys(COMMANDS), [
    'agent',
    'teardown',
    'service',
    'backend',
    'backend-host',
    'conns',
    'stats',
    'health',
    'audit',
    'config',
    'user',
    'token',
    'node',
    'fleet',
  ]);
  assert.ok(COMMANDS.service!.verbs.includes('add'));
  assert.ok(COMMANDS['backend-host']!.verbs.includes('attach'));
  assert.ok(COMMANDS.node!.verbs.includes('drain'));
});

for (const name of Object.keys(COMMANDS)) {
  const args = lineOf(name, undefined, '--help');
  test(`sluice ${args.join(' ')} (its own process): usage on stdout, exit 0, nothing done`, { timeout: 30_000 }, async () => {
    const before = connections;
    assertUsageOnly(name, args, await run([SLUICE, ...args]), before);
  });
}

test('every command and subcommand with --help and with -h: usage on stdout, exit 0, nothing done', { timeout: 60_000 }, async () => {
  const lines = Object.entries(COMMANDS).flatMap(([name, command]) =>
    [undefined, ...command.verbs].flatMap((verb) => ['--help', '-h'].map((flag) => ({ name, args: lineOf(name, verb, flag) }))),
  );
  const before = connections;
  const result = await run(['--import', 'tsx', RUNNER, JSON.stringify(lines.map((l) => l.args))]);
  assert.equal(result.code, 0, result.stderr);
  const results = JSON.parse(result.stdout.split('@@results@@')[1]!) as Run[];
  assert.equal(results.length, lines.length);
  lines.forEach((line, i) => {
    assertUsageOnly(line.name, line.args, results[i]!, before);
    /* A command that calls the agent names how it finds it: the flags and the variables behind them. */
    if (COMMANDS[line.name]!.callsAgent)
      for (const words of ['--socket PATH', '--token-file PATH', 'SLUICE_SOCKET', 'SLUICE_TOKEN_FILE', 'SLUICE_TOKEN ', 'SLUICE_CLI_FROM_SOURCE'])
        assert.ok(results[i]!.stdout.includes(words), `sluice ${line.args.join(' ')}: "${words}" missing from its help`);
  });
});

test('sluice agent --help names the token file --token-file, as the other commands do', async () => {
  const result = await run([SLUICE, 'agent', '--help']);
  assert.match(result.stdout, /\[--token-file PATH\]/);
  assert.equal(COMMANDS.agent!.callsAgent, false);
  assert.equal(COMMANDS.service!.callsAgent, true);
});

test('sluice --help, -h, help and no command: the whole usage, every command in it', async () => {
  for (const args of [['--help'], ['-h'], ['help'], []]) {
    const result = await run([SLUICE, ...args]);
    assert.equal(result.code, 0);
    for (const name of Object.keys(COMMANDS))
      assert.match(result.stdout, new RegExp(`sluice ${name}(\\s|$)`, 'm'), `${name} missing from sluice ${args.join(' ')}`);
    for (const variable of ['SLUICE_SOCKET', 'SLUICE_TOKEN_FILE', 'SLUICE_TOKEN ', 'SLUICE_CLI_FROM_SOURCE'])
      assert.ok(result.stdout.includes(variable), `${variable} missing from sluice ${args.join(' ')}`);
  }
  assert.equal(connections, 0);
});

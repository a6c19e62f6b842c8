// The flag parser every command shares (src/cli/args.ts) and `sluice agent`'s
// flags: values that begin with a dash reach their checks, and every refusal
// is a sentence that names the flag and the command, never parseArgs' own text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError, noMoreThan, parse, parseFlags } from '../../src/cli/args.js';
import { agentSettingsFromArgs } from '../../src/main.js';
import { resolveSettings } from '../../src/settings.js';

const FLAGS = { weight: { type: 'string' }, 'check-interval': { type: 'string' }, force: { type: 'boolean', default: false } } as const;

/* What parseArgs says when left alone; none of it may reach an operator. */
const PARSER_WORDS = /ambiguous|ERR_PARSE_ARGS|To specify a positional|Did you forget|<value>/;

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof UsageError, `a UsageError (exit 2), not ${(error as Error).name}: ${(error as Error).message}`);
    assert.doesNotMatch(error.message, PARSER_WORDS);
    return error.message;
  }
  assert.fail('no refusal');
}

test('a value that begins with a dash reaches its check: negative numbers and durations, spaced or with =', () => {
  assert.equal(parse(['--weight', '-1'], FLAGS, 'backend set').values.weight, '-1');
  assert.equal(parse(['--weight=-1'], FLAGS, 'backend set').values.weight, '-1');
  assert.equal(parse(['--weight', '-0.5'], FLAGS, 'backend set').values.weight, '-0.5');
  assert.equal(parse(['--check-interval', '-3s', 'a'], FLAGS, 'service add').values['check-interval'], '-3s');
  const { values, positionals } = parse(['svc', '--weight', '-7', 'ep', '--force'], FLAGS, 'backend set');
  assert.deepEqual([values.weight, values.force, positionals], ['-7', true, ['svc', 'ep']]);
  /* After "--" everything is an argument, as before. */
  assert.deepEqual(parse(['--', '--weight', '-1'], FLAGS, 'x').positionals, ['--weight', '-1']);
});

test('a flag that needs a value and has none, or has another flag after it, is refused by name', () => {
  assert.match(
    refusal(() => parse(['svc', '--weight'], FLAGS, 'backend set')),
    /^--weight needs a value \(sluice backend set --help\)$/,
  );
  assert.match(
    refusal(() => parse(['--weight', '--force'], FLAGS, 'backend set')),
    /^--weight needs a value, and "--force" is a flag; .* --weight=VALUE$/,
  );
  assert.match(
    refusal(() => parse(['--weight', '-x'], FLAGS, 'backend set')),
    /"-x" is a flag/,
  );
});

test('unknown flags, values given to on/off flags and left-over arguments: sentences naming the command', () => {
  assert.equal(
    refusal(() => parse(['--bogus'], FLAGS, 'service add')),
    '--bogus is not an option of sluice service add (sluice service add --help lists them)',
  );
  assert.match(
    refusal(() => parse(['-x'], FLAGS, 'service ls')),
    /^-x is not an option of sluice service ls/,
  );
  assert.equal(
    refusal(() => parse(['--force=yes'], FLAGS, 'backend rm')),
    '--force takes no value (it is on or off: write --force alone)',
  );
  assert.match(
    refusal(() => parseFlags(['stray'], { interfaces: { type: 'string' } }, 'teardown')),
    /^sluice teardown takes no argument "stray"/,
  );
  assert.equal(
    refusal(() => noMoreThan(['a', 'b', 'c'], 1, 'service rm')),
    'sluice service rm takes 1 argument; left over: "b c" (sluice service rm --help)',
  );
  assert.match(
    refusal(() => noMoreThan(['x'], 0, 'stats')),
    /^sluice stats takes no arguments; left over: "x"/,
  );
  noMoreThan(['a'], 1, 'service rm');
});

test('sluice agent: --token-file names the admin token file as the CLI does; --admin-token-file, its former name, still works', () => {
  assert.equal(agentSettingsFromArgs(['--token-file', '/tmp/a.token']).tokenFile, '/tmp/a.token');
  assert.equal(agentSettingsFromArgs(['--admin-token-file', '/tmp/b.token']).tokenFile, '/tmp/b.token');
  assert.equal(agentSettingsFromArgs(['--token-file', '/tmp/a.token', '--admin-token-file', '/tmp/a.token']).tokenFile, '/tmp/a.token');
  assert.match(
    refusal(() => agentSettingsFromArgs(['--token-file', '/tmp/a.token', '--admin-token-file', '/tmp/b.token'])),
    /name two files; --admin-token-file is the former name of --token-file/,
  );
  /* The settings file says it the same way (tokenFile), and still reads the former adminTokenFile. */
  assert.equal(resolveSettings({ tokenFile: '/tmp/c.token' }, {}).tokenFile, '/tmp/c.token');
  assert.equal(resolveSettings({ adminTokenFile: '/tmp/d.token' }, {}).tokenFile, '/tmp/d.token');
  assert.equal(resolveSettings({ tokenFile: '/tmp/c.token' }, { tokenFile: '/tmp/e.token' }).tokenFile, '/tmp/e.token', 'the flag wins');
  assert.throws(() => resolveSettings({ tokenFile: '/tmp/c.token', adminTokenFile: '/tmp/d.token' }, {}), /adminTokenFile is the former name of tokenFile/);
});

test('sluice agent: a negative number reaches the setting check that names its range; flag errors are sentences', () => {
  assert.throws(() => agentSettingsFromArgs(['--hash-seed', '-1']), /hashSeed must be 0 to 4294967295/);
  assert.throws(() => agentSettingsFromArgs(['--icmp-too-big-rate', '-5']), /icmpTooBigRate must be 0 to 100000/);
  assert.match(
    refusal(() => agentSettingsFromArgs(['--no-such-flag'])),
    /^--no-such-flag is not an option of sluice agent/,
  );
  assert.match(
    refusal(() => agentSettingsFromArgs(['--hash-seed', 'random'])),
    /--hash-seed must be a number, not "random"/,
  );
});

// `pnpm testbed up|down|status [--prefix sl] [--backends 3] [--queues 1]`
// Prints one JSON document on stdout; progress goes to stderr.
// (Use `pnpm -s testbed ...` to keep pnpm's banner out of stdout.)
import { parseArgs } from 'node:util';
import { up, down, status, type TestbedOptions } from './topology.js';

const USAGE = `usage: testbed <up|down|status> [--prefix sl] [--backends 3] [--queues 1] [--quiet]
  up      build the namespaces, start the backend servers, print the topology
  down    stop the servers and delete the namespaces (harmless if already down)
  status  print the topology and liveness; exit code 1 if the testbed is not up`;

function toInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`${flag} needs a positive integer, got "${value}"`);
  return Number(value);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      prefix: { type: 'string' },
      backends: { type: 'string' },
      queues: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || !command || positionals.length > 1) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const options: TestbedOptions = {
    prefix: values.prefix,
    backends: toInt(values.backends, '--backends'),
    queues: toInt(values.queues, '--queues'),
    log: values.quiet ? undefined : (m) => console.error(`testbed: ${m}`),
  };
  const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

  switch (command) {
    case 'up':
      print(await up(options));
      return 0;
    case 'down':
      print(await down(options));
      return 0;
    case 'status': {
      const s = await status(options);
      print(s);
      return s.up ? 0 : 1;
    }
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`testbed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);

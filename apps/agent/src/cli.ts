/* The `sluice` command. */
import { runAgent, runTeardown } from './agent/main.js';

const USAGE = `usage: sluice <command> [options]
  agent     --interfaces IF[,IF...] [--config FILE] [--pin-dir DIR] [--xdp-mode native|skb]
            [--flow-table-size N] [--detach-on-exit] [--ready-file FILE]
            run the agent; SIGHUP re-reads the config file
  teardown  --interfaces IF[,IF...] [--pin-dir DIR]
            detach the XDP program and remove its pinned maps`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'agent':
      return runAgent(rest);
    case 'teardown':
      return runTeardown(rest);
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return;
    default:
      throw new Error(`unknown command "${command}"\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`sluice: ${error.message}\n`);
  process.exit(1);
});

/* The `sluice` command: the agent itself, and every API call from a terminal. */
import { UsageError } from './args.js';
import { DEFAULT_ADMIN_TOKEN_FILE, DEFAULT_SOCKET_PATH } from '../default-paths.js';
import { CONNECTION_HELP, ENVIRONMENT_HELP } from './environment.js';
import { BACKEND_USAGE, BACKEND_VERBS, backendCommand } from './backend-command.js';
import { BACKEND_HOST_USAGE, BACKEND_HOST_VERBS } from './backend-host-usage.js';
import { CONFIG_USAGE, CONFIG_VERBS, USER_USAGE, USER_VERBS, configCommand, userCommand } from './config-command.js';
import { AUDIT_USAGE, CONNS_USAGE, HEALTH_USAGE, STATS_USAGE, auditCommand, connsCommand, healthCommand, statsCommand } from './read-commands.js';
import { SERVICE_USAGE, SERVICE_VERBS, serviceCommand } from './service-command.js';
import { NODE_USAGE, NODE_VERBS, nodeCommand } from './node-command.js';
import { FLEET_USAGE, fleetCommand } from './fleet-command.js';
import { reportConvergence } from './convergence.js';
import { TOKEN_USAGE, TOKEN_VERBS, tokenCommand } from './token-command.js';

const AGENT_USAGE = `sluice agent [--settings FILE] [--interfaces IF,...] [--config SERVICES_FILE] [--data-dir DIR]
               [--socket PATH] [--token-file PATH] [--admin-password-file PATH]
               [--metrics-address HOST:PORT] [--pin-dir DIR]
               [--xdp-mode native|skb] [--flow-table-size N] [--half-open-table-size N] [--client-rate-table-size N] [--flow-guard-rate N] [--icmp-too-big-rate N] [--detach-on-exit] [--ready-file FILE]
               [--tunnel-source4 A] [--tunnel-source6 A] [--tunnel-source4-hash-bits N] [--tunnel-source6-hash-bits N] [--gue-port P]
               [--bgp-config FILE] [--hash-seed N] [--sync-listen A:P --sync-peer A:P --sync-key-file FILE [--sync-yield-file FILE]] [--vrrp-notify-fifo PATH]
               [--store sqlite|etcd://HOST:PORT[,...]|etcds://[USER@]HOST:PORT[,...] [--store-ca-file F] [--store-cert-file F --store-key-file F]
                [--store-password-file F] [--node-name NAME]]
      run the agent; --config seeds an empty store; SIGHUP re-imports it (and the settings file's tunnel settings)
      --socket, --token-file: where it serves the API (default ${DEFAULT_SOCKET_PATH}) and writes the admin token
        (default ${DEFAULT_ADMIN_TOKEN_FILE}), the same flags the other commands read them by (--admin-token-file: its former name)
      ipip/gue: the outer source per family defaults to the XDP interfaces' one global address; GUE port 6080
      --icmp-too-big-rate: ICMP too-big answers a second, 0..100000 (default 1000; 0 never answers)
      --bgp-config: run BIRD and announce each VIP this node can serve to the routers named there (README "Running several nodes")
      --sync-*: flow sync with the active/standby peer over TCP, HMAC-SHA256 under the shared key file (README "Flow sync between the pair");
        --sync-yield-file: "1" while this node yields after a split brain, else "0": keepalived's track_file takes the VIPs away at once
      --vrrp-notify-fifo: keepalived's vrrp_notify_fifo; the agent reads this node's VRRP role there, in keepalived's order (made if missing)
      --hash-seed: seed of the flow hash and the Maglev tables, 0..4294967295 (default 0); every node behind the same routers must use the same one
      --store: where the desired state lives: sqlite (default, this node's own) or a fleet's etcd, shared by every node started with it;
        --data-dir then holds the local copy, forwarding goes on from it while etcd is away (README "Running several nodes")`;
const TEARDOWN_USAGE = `sluice teardown --interfaces IF,... [--pin-dir DIR]
      detach the XDP program and remove its pinned maps`;

const done = (run: (argv: string[]) => Promise<void> | void) => async (argv: string[]) => {
  await run(argv);
  return 0;
};

interface Command {
  usage: string;
  /** Whether it calls the agent's API: its --help then names the connection flags and environment. */
  callsAgent: boolean;
  /** The subcommands (first argument) it takes, aliases included; empty when it has none. */
  verbs: readonly string[];
  /** Returns the exit code. */
  run: (argv: string[]) => Promise<number>;
}

/*
 * The agent, teardown and backend-host load the data plane (koffi, libbpf,
 * SQLite): imported only when run, so a call to the agent loads none of it.
 */
/** Every command, in the order the usage lists them: main() dispatches from it, --help reads it, the help test walks it. */
export const COMMANDS: Record<string, Command> = {
  agent: {
    usage: AGENT_USAGE,
    callsAgent: false,
    verbs: [],
    run: async (argv) => {
      const { runAgent } = await import('../main.js');
      await runAgent(argv);
      return typeof process.exitCode === 'number' ? process.exitCode : 0;
    },
  },
  teardown: {
    usage: TEARDOWN_USAGE,
    callsAgent: false,
    verbs: [],
    run: done(async (argv) => (await import('../main.js')).runTeardown(argv)),
  },
  service: { usage: SERVICE_USAGE, callsAgent: true, verbs: SERVICE_VERBS, run: done(serviceCommand) },
  backend: { usage: BACKEND_USAGE, callsAgent: true, verbs: BACKEND_VERBS, run: done(backendCommand) },
  'backend-host': {
    usage: BACKEND_HOST_USAGE,
    /* report does; attach, detach and check work on the host itself. */
    callsAgent: true,
    verbs: BACKEND_HOST_VERBS,
    run: async (argv) => (await import('./backend-host-command.js')).backendHostCommand(argv),
  },
  conns: { usage: CONNS_USAGE, callsAgent: true, verbs: [], run: done(connsCommand) },
  stats: { usage: STATS_USAGE, callsAgent: true, verbs: [], run: done(statsCommand) },
  health: { usage: HEALTH_USAGE, callsAgent: true, verbs: [], run: done(healthCommand) },
  audit: { usage: AUDIT_USAGE, callsAgent: true, verbs: [], run: done(auditCommand) },
  config: { usage: CONFIG_USAGE, callsAgent: true, verbs: CONFIG_VERBS, run: configCommand },
  user: { usage: USER_USAGE, callsAgent: true, verbs: USER_VERBS, run: done(userCommand) },
  token: { usage: TOKEN_USAGE, callsAgent: true, verbs: TOKEN_VERBS, run: done(tokenCommand) },
  node: {
    usage: NODE_USAGE,
    callsAgent: true,
    verbs: NODE_VERBS,
    /* `node check` keeps its own exit codes and one-line report (node-check.ts; cli.ts usually calls it directly). */
    run: async (argv) => (argv[0] === 'check' ? (await import('./node-check.js')).runNodeCheck(argv.slice(1)) : done(nodeCommand)(argv)),
  },
  fleet: { usage: FLEET_USAGE, callsAgent: true, verbs: [], run: done(fleetCommand) },
};

export const USAGE = `usage: sluice <command> [options]     (every command takes --help)

${Object.values(COMMANDS)
  .map((command) => `  ${command.usage}`)
  .join('\n\n')}

${CONNECTION_HELP}

${ENVIRONMENT_HELP}`;

/** A command's --help: its usage, and for one that calls the agent the connection flags and environment. */
export const commandHelp = (command: Command) =>
  command.callsAgent ? `usage: ${command.usage}\n\n${CONNECTION_HELP}\n\n${ENVIRONMENT_HELP}` : `usage: ${command.usage}`;

/* --help or -h anywhere before a "--": the command's usage and nothing else, whatever else the line holds. */
const asksForHelp = (argv: string[]) => {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
};

/** Exit codes: 1 the agent refused or failed, 2 usage, 3 cannot reach the agent. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return 0;
  }
  try {
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) throw new UsageError(`unknown command "${name}"; the commands are ${Object.keys(COMMANDS).join(', ')} (sluice --help shows them all)`);
    if (asksForHelp(rest)) {
      console.log(commandHelp(command));
      return 0;
    }
    const code = await command.run(rest);
    /* After a change to a fleet's desired state: "converged N of M at revision R" (convergence.ts). */
    if (command.callsAgent) await reportConvergence(rest.includes('--json'));
    return code;
  } catch (error) {
    return report(error);
  }
}

/* The agent's refusal or the client's failure (TRPCClientError, known by its name: importing the class would load tRPC for --help too). */
const isClientError = (error: unknown): error is Error & { data?: { sluiceCode?: string } } => error instanceof Error && error.name === 'TRPCClientError';

function report(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`sluice: ${error.message}\n`);
    return 2;
  }
  if (isClientError(error)) {
    const code = error.data?.sluiceCode;
    process.stderr.write(`sluice: ${code ? `${code}: ` : ''}${error.message}\n`);
    return /cannot reach the agent/.test(error.message) ? 3 : 1;
  }
  process.stderr.write(`sluice: ${(error as Error).message ?? String(error)}\n`);
  return 1;
}

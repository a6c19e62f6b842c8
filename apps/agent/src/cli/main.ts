/* The `sluice` command: the agent itself, and every API call from a terminal. */
import { TRPCClientError } from '@trpc/client';
import { runAgent, runTeardown } from '../main.js';
import { UsageError } from './args.js';
import { BACKEND_USAGE, backendCommand } from './backend-command.js';
import { BACKEND_HOST_USAGE, backendHostCommand } from './backend-host-command.js';
import { CONFIG_USAGE, USER_USAGE, configCommand, userCommand } from './config-command.js';
import { AUDIT_USAGE, CONNS_USAGE, auditCommand, connsCommand, healthCommand, statsCommand } from './read-commands.js';
import { SERVICE_USAGE, serviceCommand } from './service-command.js';
import { TOKEN_USAGE, tokenCommand } from './token-command.js';

export const USAGE = `usage: sluice <command> [options]     (every API command takes --json, --socket PATH, --token-file PATH)

  sluice agent [--settings FILE] [--interfaces IF,...] [--config SERVICES_FILE] [--data-dir DIR]
               [--socket PATH] [--admin-token-file PATH] [--admin-password-file PATH]
               [--metrics-address HOST:PORT] [--pin-dir DIR]
               [--xdp-mode native|skb] [--flow-table-size N] [--half-open-table-size N] [--client-rate-table-size N] [--flow-guard-rate N] [--icmp-too-big-rate N] [--detach-on-exit] [--ready-file FILE]
               [--tunnel-source4 A] [--tunnel-source6 A] [--tunnel-source4-hash-bits N] [--tunnel-source6-hash-bits N] [--gue-port P]
      run the agent; --config seeds an empty store; SIGHUP re-imports it (and the settings file's tunnel settings)
      ipip/gue: the outer source per family defaults to the XDP interfaces' one global address; GUE port 6080
      --icmp-too-big-rate: ICMP too-big answers a second, 0..100000 (default 1000; 0 never answers)
  sluice teardown --interfaces IF,... [--pin-dir DIR]
      detach the XDP program and remove its pinned maps

  ${SERVICE_USAGE}

  ${BACKEND_USAGE}

  ${BACKEND_HOST_USAGE}

  ${CONNS_USAGE}
  sluice stats
  sluice health [SERVICE]
  ${AUDIT_USAGE}

  ${CONFIG_USAGE}

  ${USER_USAGE}

  ${TOKEN_USAGE}`;

/** Exit codes: 1 the agent refused or failed, 2 usage, 3 cannot reach the agent. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'agent':
        await runAgent(rest);
        return typeof process.exitCode === 'number' ? process.exitCode : 0;
      case 'teardown':
        runTeardown(rest);
        return 0;
      case 'service':
        await serviceCommand(rest);
        return 0;
      case 'backend':
        await backendCommand(rest);
        return 0;
      case 'backend-host':
        return await backendHostCommand(rest);
      case 'conns':
        await connsCommand(rest);
        return 0;
      case 'stats':
        await statsCommand(rest);
        return 0;
      case 'health':
        await healthCommand(rest);
        return 0;
      case 'audit':
        await auditCommand(rest);
        return 0;
      case 'config':
        await configCommand(rest);
        return 0;
      case 'user':
        await userCommand(rest);
        return 0;
      case 'token':
        await tokenCommand(rest);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"\n${USAGE}`);
    }
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`sluice: ${error.message}\n`);
    return 2;
  }
  if (error instanceof TRPCClientError) {
    const code = (error.data as { sluiceCode?: string } | undefined)?.sluiceCode;
    process.stderr.write(`sluice: ${code ? `${code}: ` : ''}${error.message}\n`);
    return /cannot reach the agent/.test(error.message) ? 3 : 1;
  }
  process.stderr.write(`sluice: ${(error as Error).message ?? String(error)}\n`);
  return 1;
}

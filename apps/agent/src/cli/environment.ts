/* What the CLI takes from the environment, as --help shows it (connection.ts and bin/sluice.mjs read it). */
import { DEFAULT_ADMIN_TOKEN_FILE, DEFAULT_SOCKET_PATH } from '../default-paths.js';

/** The flags every command that calls the agent takes, and the variables behind them. */
export const CONNECTION_HELP = `every command that calls the agent takes:
  --socket PATH      the agent's socket (default ${DEFAULT_SOCKET_PATH})
  --token-file PATH  the admin token file (default ${DEFAULT_ADMIN_TOKEN_FILE}; read only when a request goes out)
  --json             the answer as JSON, for scripts`;

/** The environment variables the CLI reads, as --help shows them. */
export const ENVIRONMENT_HELP = `environment (a flag wins over its variable):
  SLUICE_SOCKET      the agent's socket, as --socket (default ${DEFAULT_SOCKET_PATH})
  SLUICE_TOKEN_FILE  the admin token file, as --token-file (default ${DEFAULT_ADMIN_TOKEN_FILE}; read only when a request goes out)
  SLUICE_TOKEN       a token itself (e.g. from sluice token create), used instead of the token file unless --token-file is given
  SLUICE_CLI_FROM_SOURCE=1  run the TypeScript sources, not the compiled build in apps/agent/dist`;

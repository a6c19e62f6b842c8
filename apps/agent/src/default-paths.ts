/*
 * Where the agent serves its API and writes the admin token by default. Apart
 * from the server and auth code that use them, so that the CLI, which only
 * needs the names, loads neither (a call to the agent starts faster).
 */
export const DEFAULT_SOCKET_PATH = '/run/sluice/agent.sock';
export const DEFAULT_ADMIN_TOKEN_FILE = '/run/sluice/admin.token';

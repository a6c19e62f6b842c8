/* Probe failures as an operator reads them: what happened and the errno. */
const EXPLAINED: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
};

export function describeError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code && EXPLAINED[code]) return `${EXPLAINED[code]} (${code})`;
  if (code) return `${(err as Error).message} (${code})`;
  return err instanceof Error ? err.message : String(err);
}

/*
 * An error from the agent (or the console server) in words a person can act
 * on. Branches on data.sluiceCode, never on message text; details carry the
 * facts (active flows, limits) that make the advice concrete.
 */
import { TRPCClientError } from '@trpc/client';

interface ErrorData {
  sluiceCode?: string;
  details?: Record<string, unknown>;
  issues?: string[] | null;
  /** Set on unexpected errors: the reference to the server's log line (the message carries it too). */
  reference?: string | null;
}

export function errorCode(error: unknown): string | undefined {
  if (error instanceof TRPCClientError) return (error.data as ErrorData | undefined)?.sluiceCode;
  return undefined;
}

/** Every problem the agent found in the input, one per entry (empty when it named none). */
export function errorIssues(error: unknown): string[] {
  if (error instanceof TRPCClientError) return ((error.data as ErrorData | undefined)?.issues ?? []).slice();
  return [];
}

export function errorText(error: unknown): string {
  if (!(error instanceof TRPCClientError)) {
    const message = error instanceof Error ? error.message : String(error);
    if (/fetch|network/i.test(message)) return 'The console server did not answer. Check that it is running, then retry.';
    return message;
  }
  const data = (error.data ?? {}) as ErrorData;
  const details = data.details ?? {};
  switch (data.sluiceCode) {
    case 'UNAUTHENTICATED':
      return 'Your session has ended: log in again.';
    case 'FORBIDDEN':
      return `Not allowed: ${error.message}. Ask an admin for a higher role if you need to make this change.`;
    case 'CSRF':
      return error.message;
    case 'INVALID':
      return data.issues?.length ? `Please correct: ${data.issues.join('; ')}.` : `Please correct the input: ${error.message}.`;
    case 'NOT_FOUND':
      return `${capitalise(error.message)}. Someone may have removed it meanwhile; the view has been refreshed.`;
    case 'CONFLICT':
      if (typeof details.activeFlows === 'number')
        return `${capitalise(error.message)}. It still carries ${details.activeFlows} active connection${details.activeFlows === 1 ? '' : 's'}: drain it and wait for them to end, or force it (those connections are cut).`;
      return `${capitalise(error.message)}.`;
    case 'LIMIT_REACHED':
      return `${capitalise(error.message)}. Remove something unused first, or rebuild the data plane with a higher limit.`;
    case 'AGENT_UNREACHABLE':
      return error.message;
    case 'RATE_LIMITED':
      return `${capitalise(error.message)}.`;
    case 'INTERNAL':
      /* Unexpected: the message is only the reference, and whether anything changed is unknown. */
      if (data.reference)
        return `${capitalise(error.message.replace(/\.$/, ''))}. Reload to see the current state; if it keeps happening, give the reference to whoever runs the console.`;
      return `The agent could not apply this and changed nothing: ${error.message}. Retry; if it keeps failing, check the agent's log.`;
    default:
      return error.message || 'Something went wrong; retry.';
  }
}

const capitalise = (text: string) => (text ? text[0]!.toUpperCase() + text.slice(1) : text);

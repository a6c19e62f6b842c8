/*
 * An error the console server did not expect (a bug, a failed system call)
 * never reaches the browser as it is: its message can name files and its
 * stack does. The browser gets a short reference; this server's log gets the
 * same reference with the whole error, so a user's report finds the line.
 * The agent does the same with its errors (packages/api/src/trpc.ts).
 */
import { errorReference } from '@sluice/api';

export function logUnexpected(where: string, error: unknown): string {
  const reference = errorReference(typeof error === 'object' && error !== null ? error : { error });
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`[sluice console] ${where} [reference ${reference}]: ${detail}`);
  return reference;
}

export const unexpectedErrorMessage = (reference: string) =>
  `Unexpected error in the console server (reference ${reference}). Nothing more is shown here; the console's log has the details under that reference.`;

/*
 * A fleet document's JSON checked against its schema on the way in: a
 * document some other writer mangled is refused by name, with every
 * problem zod found, and never half applied.
 */
import type { z } from 'zod';

/** The document's content; throws naming `what` (e.g. "service NAME") and the problems. */
export function parseDocument<T>(what: string, schema: z.ZodType<T>, text: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`fleet document of ${what} is not JSON: ${(error as Error).message}`);
  }
  const result = schema.safeParse(raw);
  if (!result.success)
    throw new Error(`fleet document of ${what}: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return result.data;
}

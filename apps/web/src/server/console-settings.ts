/*
 * The console server's settings, from the environment, checked once with zod
 * so a typo fails at start with the variable's name rather than later.
 */
import { z } from 'zod';

const settingsSchema = z.object({
  /** The agent's API socket (the same one the CLI uses). */
  SLUICE_AGENT_SOCKET: z.string().min(1).default('/run/sluice/agent.sock'),
  /** "1": mark cookies Secure. Off by default because the console is often served over plain http on localhost. */
  SLUICE_CONSOLE_SECURE_COOKIES: z.enum(['0', '1']).default('0'),
  /** Origins allowed to send state-changing requests besides the console's own (comma separated, e.g. behind a TLS proxy). */
  SLUICE_CONSOLE_ORIGINS: z.string().default(''),
});

export interface ConsoleSettings {
  agentSocket: string;
  secureCookies: boolean;
  extraOrigins: string[];
}

let cached: ConsoleSettings | undefined;

export function consoleSettings(): ConsoleSettings {
  if (cached) return cached;
  const parsed = settingsSchema.safeParse(process.env);
  if (!parsed.success) throw new Error(`console settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  cached = {
    agentSocket: parsed.data.SLUICE_AGENT_SOCKET,
    secureCookies: parsed.data.SLUICE_CONSOLE_SECURE_COOKIES === '1',
    extraOrigins: parsed.data.SLUICE_CONSOLE_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  };
  return cached;
}

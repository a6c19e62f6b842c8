import { z } from 'zod';

export const agentInfoSchema = z.object({
  version: z.string(),
  pid: z.number().int(),
  startedAt: z.number().int(),
  interfaces: z.array(z.string()),
  pinDir: z.string(),
  dataDir: z.string(),
  /** Pinned maps taken over from a previous agent at start (0 on a fresh start). */
  adoptedMaps: z.number().int(),
  limits: z.object({
    maxServices: z.number().int(),
    maxBackends: z.number().int(),
    maxBackendsPerService: z.number().int(),
    flowTableSize: z.number().int(),
  }),
});
export type AgentInfo = z.infer<typeof agentInfoSchema>;

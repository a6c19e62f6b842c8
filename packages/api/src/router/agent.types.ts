import { z } from 'zod';

/** One balancer interface as the kernel has it now, not as the agent was told. */
export const agentInterfaceSchema = z.object({
  name: z.string(),
  /** Where this agent's program runs on it: native (in the driver) or skb (generic); null: not attached. */
  xdpMode: z.enum(['native', 'skb']).nullable(),
  /** The kernel's id of the XDP program on it (another program's id when attached is false). */
  programId: z.number().int().nullable(),
  /** This agent's program is the one on it. */
  attached: z.boolean(),
});
export type AgentInterface = z.infer<typeof agentInterfaceSchema>;

export const agentInfoSchema = z.object({
  version: z.string(),
  pid: z.number().int(),
  startedAt: z.number().int(),
  /** Since start, by the agent's clock (a browser's clock may differ). */
  uptimeMs: z.number().int(),
  interfaces: z.array(z.string()),
  /** The XDP mode the agent attaches in (--xdp-mode). */
  xdpMode: z.enum(['native', 'skb']),
  /** Each of `interfaces`, in the same order, as the kernel reports it. */
  attachments: z.array(agentInterfaceSchema),
  /** The data-plane build that is loaded: its object file, the sha256 of that file at load, the kernel's program id. */
  dataplane: z.object({ objectPath: z.string(), buildId: z.string(), programId: z.number().int() }),
  pinDir: z.string(),
  dataDir: z.string(),
  /** Pinned maps taken over from a previous agent at start (0 on a fresh start). */
  adoptedMaps: z.number().int(),
  /** Their names (empty on a fresh start). */
  adoptedMapNames: z.array(z.string()),
  /** Flows in the flow table at the conntrack GC's last sweep (every few seconds); null before the first one. */
  flowTable: z.object({ capacity: z.number().int(), tracked: z.number().int().nullable() }),
  limits: z.object({
    maxServices: z.number().int(),
    maxBackends: z.number().int(),
    maxBackendsPerService: z.number().int(),
    flowTableSize: z.number().int(),
  }),
});
export type AgentInfo = z.infer<typeof agentInfoSchema>;

import { z } from 'zod';
import { ipAddressSchema } from '../schemas/address.ts';

/*
 * A backend host's own check (`sluice backend-host check --json`, run ON the
 * backend), handed to the agent with `sluice backend-host report`. Strict at
 * every level: a field this agent does not know is a report from another
 * version, refused rather than half stored.
 */

/** After this long a report no longer says much about the host: shown as stale. */
export const BACKEND_HOST_REPORT_STALE_MS = 6 * 60 * 60 * 1000;

const text = (max: number) => z.string().max(max);

export const hostCheckSchema = z
  .object({
    name: text(200).min(1),
    ok: z.boolean(),
    detail: text(500),
    /** The command that fixes it (problems only). */
    fix: text(500).optional(),
  })
  .strict();
export type HostCheck = z.infer<typeof hostCheckSchema>;

export const backendHostReportSchema = z
  .object({
    host: z
      .object({
        /** The interface the tunnels arrive on (null: none named). */
        interface: text(15).min(1).nullable(),
        /** The host's addresses the balancer sends to: a backend whose address is one of them shows this report. */
        addresses: z.array(ipAddressSchema).min(1, 'names no address of the host: run check after attach, or with --address A').max(16),
        decap: z.object({ mode: z.enum(['xdp', 'tc', 'none']), guePort: z.number().int().min(1).max(65535).nullable() }).strict(),
      })
      .strict(),
    checks: z.array(hostCheckSchema).max(200),
    /** The decapsulation program's counters since attach, by outcome; null when nothing is attached. */
    counters: z.record(z.string().max(64), z.number().int().nonnegative()).nullable(),
    /** When the host ran its check (ms since the epoch). */
    checkedAt: z.number().int().positive(),
  })
  .strict();
export type BackendHostReport = z.infer<typeof backendHostReportSchema>;

export const backendHostReportViewSchema = backendHostReportSchema.extend({
  reportedAt: z.number().int(),
  reportedBy: z.string(),
  problems: z.number().int(),
  /** checkedAt is older than BACKEND_HOST_REPORT_STALE_MS. */
  stale: z.boolean(),
});
export type BackendHostReportView = z.infer<typeof backendHostReportViewSchema>;

export const backendHostListInputSchema = z.object({ address: ipAddressSchema.optional() }).strict().optional();
export const backendHostListOutputSchema = z.array(backendHostReportViewSchema);

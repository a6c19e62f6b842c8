/*
 * A service as the fleet stores it: one JSON document with its backends, so
 * that a change to a service (or to any of its backends) is a change of one
 * key, guarded by one compare. Checked with zod on the way in: a document
 * some other writer mangled is refused by name, never half applied.
 */
import {
  adminStateSchema,
  algorithmSchema,
  clientRateSchema,
  forwardingModeSchema,
  healthCheckSchema,
  ipAddressSchema,
  portSchema,
  protocolSchema,
  serviceName,
  weightSchema,
} from '@sluice/api';
import { z } from 'zod';
import type { WholeService } from '../store/index.js';
import { parseDocument } from './document-json.js';

const backendDocumentSchema = z
  .object({
    address: ipAddressSchema,
    port: portSchema,
    weight: weightSchema,
    state: adminStateSchema,
    /* The drain's clock is shared: every node ends it at the same moment. */
    drainStartedAt: z.number().int().nullable(),
    drainTimeoutMs: z.number().int().positive().nullable(),
  })
  .strict();

export const serviceDocumentSchema = z
  .object({
    address: ipAddressSchema,
    port: portSchema,
    protocol: protocolSchema,
    algorithm: algorithmSchema,
    mode: forwardingModeSchema,
    clientRate: clientRateSchema,
    healthCheck: healthCheckSchema,
    backends: z.array(backendDocumentSchema),
  })
  .strict();

export type ServiceDocument = z.infer<typeof serviceDocumentSchema>;

/** The document under key `name`; throws naming the key and the first problems. */
export function parseServiceDocument(name: string, text: string): WholeService {
  const whole = parseDocument(`service ${name}`, serviceDocumentSchema, text) satisfies WholeService;
  if (serviceName(whole) !== name) throw new Error(`fleet document under service ${name} describes ${serviceName(whole)}`);
  return whole;
}

export const serviceDocumentText = (whole: WholeService): string => JSON.stringify(serviceDocumentSchema.parse(whole));

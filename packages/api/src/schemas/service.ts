import { z } from 'zod';
import { addressFamily, formatEndpoint, ipAddressSchema, portSchema } from './address.ts';

export const ALGORITHMS = ['round-robin', 'weighted-round-robin', 'least-connections', 'source-hash', 'maglev'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export const algorithmSchema = z.enum(ALGORITHMS);

export const PROTOCOLS = ['tcp', 'udp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];
export const protocolSchema = z.enum(PROTOCOLS);

/*
 * How packets reach the backends (bpf/include/sluice_shared.h, enum sluice_forwarding_mode):
 * nat rewrites the destination and replies return through the balancer; dsr
 * changes only the destination MAC (an on-link backend); ipip and gue
 * encapsulate to the backend. In the last three the backend answers the client
 * directly. Switching moves new flows only: a flow keeps the mode it began with.
 */
export const FORWARDING_MODES = ['nat', 'dsr', 'ipip', 'gue'] as const;
export type ForwardingMode = (typeof FORWARDING_MODES)[number];
export const forwardingModeSchema = z.enum(FORWARDING_MODES, {
  message: `mode must be one of ${FORWARDING_MODES.join(', ')}`,
});

/** Modes whose replies bypass the balancer: it sees the client's packets only. */
export const repliesBypassBalancer = (mode: ForwardingMode): boolean => mode !== 'nat';

/** Modes that encapsulate, and so need a tunnel source address of the service's family. */
export const isTunnelMode = (mode: ForwardingMode): mode is 'ipip' | 'gue' => mode === 'ipip' || mode === 'gue';

/** ready: takes new flows; drain and maint: keep existing flows, take no new ones. */
export const ADMIN_STATES = ['ready', 'drain', 'maint'] as const;
export type AdminState = (typeof ADMIN_STATES)[number];
export const adminStateSchema = z.enum(ADMIN_STATES);

/* Weights scale lookup-table shares; 0 is not a weight (drain instead). */
export const MAX_WEIGHT = 65535;
export const weightSchema = z
  .number({ message: 'weight must be a number' })
  .int('weight must be a whole number')
  .min(1, `weight must be 1 to ${MAX_WEIGHT}`)
  .max(MAX_WEIGHT, `weight must be 1 to ${MAX_WEIGHT}`);

/*
 * New connections per client address per second on a service (0: no limit);
 * the data plane drops a client's connections beyond it (client_rate_drops).
 */
export const MAX_CLIENT_RATE = 1_000_000;
export const clientRateSchema = z
  .number({ message: 'clientRate must be a number' })
  .int('clientRate must be a whole number of new connections per second')
  .min(0, `clientRate must be 0 (no limit) to ${MAX_CLIENT_RATE} new connections per client per second`)
  .max(MAX_CLIENT_RATE, `clientRate must be 0 (no limit) to ${MAX_CLIENT_RATE} new connections per client per second`);

/* The agent's default for its maxBackendsPerService setting (the data plane's build holds 1,024). */
export const DEFAULT_MAX_BACKENDS_PER_SERVICE = 1024;

export const backendSpecSchema = z
  .object({
    address: ipAddressSchema,
    port: portSchema,
    weight: weightSchema.default(1),
    state: adminStateSchema.default('ready'),
  })
  .strict();
export type BackendSpec = z.infer<typeof backendSpecSchema>;

const serviceSpecFields = {
  address: ipAddressSchema,
  port: portSchema,
  protocol: protocolSchema,
  algorithm: algorithmSchema.default('round-robin'),
  mode: forwardingModeSchema.default('nat'),
  /** Absent: 0, no limit. */
  clientRate: clientRateSchema.optional(),
  /* How many fit is the agent's rule (its limits come from the loaded maps and settings): apps/agent/src/reconcile/capacity.ts. */
  backends: z.array(backendSpecSchema).default([]),
};

/** Backends must share the service's address family and appear once. */
export function checkServiceBackends(service: { address: string; backends: readonly { address: string; port: number }[] }, ctx: z.RefinementCtx): void {
  const family = addressFamily(service.address);
  const seen = new Set<string>();
  service.backends.forEach((backend, index) => {
    const endpoint = formatEndpoint(backend.address, backend.port);
    if (addressFamily(backend.address) !== family)
      ctx.addIssue({
        code: 'custom',
        path: ['backends', index, 'address'],
        message: `backend ${endpoint} is IPv${addressFamily(backend.address)} but the service is IPv${family}`,
      });
    if (seen.has(endpoint)) ctx.addIssue({ code: 'custom', path: ['backends', index], message: `backend ${endpoint} is listed twice` });
    seen.add(endpoint);
  });
}

export const serviceSpecSchema = z.object(serviceSpecFields).strict().superRefine(checkServiceBackends);
/** The fields of a service spec, for schemas that add to it (the config document). */
export { serviceSpecFields };
export type ServiceSpec = z.infer<typeof serviceSpecSchema>;

/** "198.18.100.1:80/tcp" or "[2001:db8::1]:80/udp": how services are named. */
export function serviceName(service: { address: string; port: number; protocol: Protocol }): string {
  return `${formatEndpoint(service.address, service.port)}/${service.protocol}`;
}

/** Services must appear once each. */
export function checkUniqueServices(config: { services: readonly { address: string; port: number; protocol: Protocol }[] }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  config.services.forEach((service, index) => {
    const name = serviceName(service);
    if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['services', index], message: `service ${name} is listed twice` });
    seen.add(name);
  });
}

export const dataplaneConfigSchema = z
  .object({
    services: z.array(serviceSpecSchema).default([]),
  })
  .strict()
  .superRefine(checkUniqueServices);
export type DataplaneConfig = z.infer<typeof dataplaneConfigSchema>;

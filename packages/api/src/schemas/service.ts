import { z } from 'zod';
import { ADMIN_STATES, ALGORITHMS, type Algorithm, FORWARDING_MODES, type ForwardingMode, PROTOCOLS, type Protocol, serviceName } from '../names/service.ts';
import { addressFamily, formatEndpoint, ipAddressSchema, portSchema } from './address.ts';

/* The words themselves live zod-free in names/ (the CLI loads them alone); the schemas here are built on them. */
export { ADMIN_STATES, ALGORITHMS, FORWARDING_MODES, PROTOCOLS, serviceName } from '../names/service.ts';
export type { AdminState, Algorithm, ForwardingMode, Protocol } from '../names/service.ts';

/*
 * Several nodes behind ECMP (README "Running several nodes"): a mid-stream
 * packet that the routers move to another node (its node died, or the fabric
 * rehashed) finds no flow entry there and is steered by the flow hash into
 * that node's table. Maglev and source hash name the same backend on every
 * node (same backends, same hash seed), so the connection goes on. Round robin
 * and least connections chose the flow's backend by this node's own turn or
 * connection counts, which the other node cannot know: its hash usually lands
 * on another backend, and the connection breaks.
 */
export const NODE_LOCAL_ALGORITHMS = ['round-robin', 'weighted-round-robin', 'least-connections'] as const satisfies readonly Algorithm[];

/** Does a connection of a service with this algorithm survive the loss of the node that carried it? */
export function survivesNodeLoss(algorithm: Algorithm): boolean {
  return !(NODE_LOCAL_ALGORITHMS as readonly Algorithm[]).includes(algorithm);
}

export const NODE_LOSS_REASON =
  "its backend was chosen by this node's own round-robin turn or connection counts; another node that gets the connection's next packet (node lost, ECMP rehash) steers it by the flow hash, usually to another backend, and the connection breaks";
export const NODE_LOSS_FIX = 'use maglev or source-hash (same backend on every node with the same --hash-seed), or flow sync between nodes once issue 13 lands';

export const algorithmSchema = z
  .enum(ALGORITHMS, { message: `algorithm must be one of ${ALGORITHMS.join(', ')}` })
  .describe(
    'How a new flow picks its backend. With several nodes behind ECMP only maglev and source-hash connections survive the loss of a node ' +
      '(every node builds the same table with the same --hash-seed); round-robin, weighted-round-robin and least-connections connections ' +
      `moved to another node usually break: ${NODE_LOSS_REASON}.`,
  );

export const protocolSchema = z.enum(PROTOCOLS, { message: `protocol must be ${PROTOCOLS.join(' or ')}` });

export const forwardingModeSchema = z.enum(FORWARDING_MODES, {
  message: `mode must be one of ${FORWARDING_MODES.join(', ')}`,
});

/** Modes whose replies bypass the balancer: it sees the client's packets only. */
export const repliesBypassBalancer = (mode: ForwardingMode): boolean => mode !== 'nat';

/** Modes that encapsulate, and so need a tunnel source address of the service's family. */
export const isTunnelMode = (mode: ForwardingMode): mode is 'ipip' | 'gue' => mode === 'ipip' || mode === 'gue';

export const adminStateSchema = z.enum(ADMIN_STATES, { message: `state must be one of ${ADMIN_STATES.join(', ')}` });

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

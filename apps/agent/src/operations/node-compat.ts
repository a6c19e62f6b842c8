/*
 * What a node must share with every other node behind the same routers
 * (node.status `compat`, the sluice_node_info metric), and which services
 * break their connections when a node is lost (node.status
 * `breakOnNodeLoss`). The rule for the latter lives with the algorithms in
 * @sluice/api (schemas/service.ts); this applies it to the store's services.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { NODE_LOSS_FIX, NODE_LOSS_REASON, type NodeLossRisk, type ServiceSpec, serviceName, survivesNodeLoss } from '@sluice/api';

/** Digits of the object's SHA-256 shown: enough to tell builds apart at a glance, short enough for a metric label. */
const BUILD_ID_HEX_DIGITS = 16;

/**
 * The loaded build's identity: the SHA-256 of the object file, read once at
 * start (a file replaced later for the next upgrade does not change what runs).
 * "unknown (...)" when the file cannot be read, never a guess.
 */
export function dataplaneBuildOf(objectPath: string): string {
  try {
    return createHash('sha256').update(readFileSync(objectPath)).digest('hex').slice(0, BUILD_ID_HEX_DIGITS);
  } catch (error) {
    return `unknown (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
}

/** The services whose connections do not survive a node loss, by name. */
export function nodeLossRisks(services: readonly ServiceSpec[]): NodeLossRisk[] {
  return services
    .filter((service) => !survivesNodeLoss(service.algorithm))
    .map((service) => ({ service: serviceName(service), algorithm: service.algorithm, reason: NODE_LOSS_REASON, fix: NODE_LOSS_FIX }))
    .sort((a, b) => a.service.localeCompare(b.service));
}

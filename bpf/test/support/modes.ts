// Forwarding modes for the fixture and fuzz runs. The agent's schema knows
// only nat so far (another branch adds the rest), so after each reconcile the
// harness writes each service's mode into its service_config, and the
// tunnel settings the agent will write, straight into the maps.
import { type DataplaneMaps, SluiceForwardingMode, type TunnelSettings } from '@sluice/dataplane';
import { serviceKeyOf } from '@sluice/agent/map-entries';
import { addressBytes } from '@sluice/dataplane/test-packets';
import type { ForwardingMode, ServiceFixture } from './services.ts';

const MODE_CODE: Record<ForwardingMode, number> = {
  nat: SluiceForwardingMode.MODE_NAT,
  dsr: SluiceForwardingMode.MODE_DSR,
  ipip: SluiceForwardingMode.MODE_IPIP,
  gue: SluiceForwardingMode.MODE_GUE,
};

/* The balancer's own addresses on the backend-facing link (fxb), and the GUE port. */
export const TUNNEL_SOURCE4 = '198.19.0.1';
export const TUNNEL_SOURCE6 = '2001:db8:1::1';
export const GUE_PORT = 6080;

export const FIXTURE_TUNNEL_SETTINGS: TunnelSettings = {
  source4: addressBytes(TUNNEL_SOURCE4).readUInt32BE(0),
  source6: addressBytes(TUNNEL_SOURCE6),
  gue_port: GUE_PORT,
  source4_hash_bits: 0,
  source6_hash_bits: 0,
};

export function writeTunnelSettings(maps: DataplaneMaps, settings: TunnelSettings = FIXTURE_TUNNEL_SETTINGS): void {
  maps.tunnelSettings.update(0, settings);
}

/** Gives each service its mode in the maps; the reconciler wrote nat. */
export function writeModes(maps: DataplaneMaps, services: Record<string, ServiceFixture>): void {
  for (const service of Object.values(services)) {
    const key = serviceKeyOf(service);
    const config = maps.services.lookup(key);
    if (!config) throw new Error(`modes: service ${service.address}:${service.port} is not in the maps`);
    const mode = MODE_CODE[service.mode ?? 'nat'];
    if (config.mode !== mode) maps.services.update(key, { ...config, mode });
  }
}

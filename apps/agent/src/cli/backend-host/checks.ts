/*
 * `sluice backend-host check`: is this host ready to receive a balancer's
 * dsr/ipip/gue traffic? Each check says what it found and, when that is a
 * problem, the command that fixes it (IPVS's "DR" and "TUN" preparation,
 * Katran's backend notes). Read-only: it changes nothing.
 *   - the decapsulation program runs where attach put it;
 *   - each tunnel address is an address of this host;
 *   - each VIP is on the loopback (the stack accepts and answers from it);
 *   - ARP for those VIPs stays quiet: arp_ignore=1, arp_announce=2 (L2 DSR);
 *   - reverse-path filtering lets the decapsulated client packets in (0 or 2);
 *   - the MSS this host advertises fits the fabric MTU once the balancer
 *     adds its tunnel headers (IPIP 20/40 bytes, GUE 28/48 by outer family;
 *     attach sets it, see mss.ts).
 */
import { readFileSync } from 'node:fs';
import { attachedDecapId } from './attach.js';
import { advmssOf, clientFamilies, defaultRoutes, familyOf, interfaceMtu, ipJson, maxMss, routeChangeArgs } from './mss.js';
import type { HostState } from './state.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** The command that fixes it (problems only). */
  fix?: string;
}

export interface CheckRequest {
  state?: HostState;
  /** The tunnel interface when nothing is attached yet (else the state's). */
  interface?: string;
  vips: string[];
  /** The host serves dsr services only: only the MAC changes, nothing to decapsulate. */
  dsrOnly?: boolean;
}

interface IpAddress {
  ifname: string;
  addr_info: { local: string; family: string }[];
}

function sysctl(name: string): number | undefined {
  try {
    return Number(readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/* For these settings the kernel uses the larger of conf/all and conf/<interface>. */
function effective(setting: string, ifname: string | undefined): { value: number; where: string } {
  const all = sysctl(`net.ipv4.conf.all.${setting}`) ?? 0;
  const own = ifname ? (sysctl(`net.ipv4.conf.${ifname}.${setting}`) ?? 0) : 0;
  return { value: Math.max(all, own), where: ifname ? `max(all=${all}, ${ifname}=${own})` : `all=${all}` };
}

function checkAttached(state: HostState | undefined): CheckResult {
  const name = 'decapsulation program attached';
  if (!state) {
    return {
      name,
      ok: false,
      detail: 'nothing attached by this command',
      fix: 'sluice backend-host attach --interface IF --address A [--gue-port P]',
    };
  }
  const running = attachedDecapId(state);
  const where = `${state.interface} (${state.mode})`;
  if (running === state.programId) return { name, ok: true, detail: `${where}, program id ${running}` };
  const again = `sluice backend-host attach --interface ${state.interface} --mode ${state.mode} ${state.addresses.map((a) => `--address ${a}`).join(' ')}${state.guePort ? ` --gue-port ${state.guePort}` : ''}`;
  return { name, ok: false, detail: `${where} runs ${running === undefined ? 'nothing' : `program id ${running}`}, not id ${state.programId}`, fix: again };
}

function checkTunnelAddresses(state: HostState, local: Set<string>): CheckResult[] {
  return state.addresses.map((address) => {
    const name = `tunnel address ${address} is this host's`;
    if (local.has(address)) return { name, ok: true, detail: 'assigned' };
    const prefix = familyOf(address) === 4 ? 32 : 128;
    return { name, ok: false, detail: 'on no interface: tunnels to it never arrive', fix: `ip addr add ${address}/${prefix} dev ${state.interface}` };
  });
}

function checkVips(vips: string[], loopback: Set<string>): CheckResult[] {
  return vips.map((vip) => {
    const name = `VIP ${vip} on the loopback`;
    if (loopback.has(vip)) return { name, ok: true, detail: 'on lo' };
    return { name, ok: false, detail: 'missing: the stack drops packets to it', fix: `ip addr add ${vip}/${familyOf(vip) === 4 ? 32 : 128} dev lo` };
  });
}

function checkArp(ifname: string | undefined): CheckResult[] {
  const set = (setting: string, value: number) =>
    `sysctl -w net.ipv4.conf.all.${setting}=${value}${ifname ? ` net.ipv4.conf.${ifname}.${setting}=${value}` : ''}`;
  const ignore = effective('arp_ignore', ifname);
  const announce = effective('arp_announce', ifname);
  return [
    {
      name: 'arp_ignore (L2 DSR: no ARP replies for the VIPs on lo)',
      ok: ignore.value >= 1 && ignore.value <= 3,
      detail: ignore.where,
      fix: set('arp_ignore', 1),
    },
    {
      name: 'arp_announce (L2 DSR: never a VIP as the ARP source)',
      ok: announce.value === 2,
      detail: announce.where,
      fix: set('arp_announce', 2),
    },
  ];
}

function checkRpFilter(ifname: string): CheckResult {
  const rp = effective('rp_filter', ifname);
  return {
    name: `rp_filter on ${ifname} (decapsulated client packets arrive there)`,
    ok: rp.value === 0 || rp.value === 2,
    detail: `${rp.where}${rp.value === 1 ? ': strict, drops clients whose route back leaves by another interface' : ''}`,
    /* The kernel takes the larger value, so 2 on the interface is enough whatever all says (0..2). */
    fix: `sysctl -w net.ipv4.conf.${ifname}.rp_filter=2`,
  };
}

function checkMss(state: HostState): CheckResult[] {
  const mtu = interfaceMtu(state.interface);
  return clientFamilies(state).flatMap((family) => {
    const limit = maxMss(family, mtu, state);
    return defaultRoutes(family).map((route): CheckResult => {
      const advmss = advmssOf(route);
      const name = `MSS to IPv${family} clients (default route${route.dev ? ` via ${route.dev}` : ''}) fits MTU ${mtu} tunnelled`;
      const fix = `ip ${routeChangeArgs(family, route, limit).join(' ')}`;
      if (advmss !== undefined && advmss <= limit) return { name, ok: true, detail: `advmss ${advmss} <= ${limit}` };
      const found = advmss === undefined ? 'no advmss (the MSS follows the MTU)' : `advmss ${advmss}`;
      return { name, ok: false, detail: `${found}; at most ${limit} fits once the balancer adds its tunnel headers`, fix };
    });
  });
}

export function checkHost(request: CheckRequest): CheckResult[] {
  const { state } = request;
  const ifname = state?.interface ?? request.interface;
  const addresses = ipJson<IpAddress[]>(['addr', 'show']);
  const local = new Set(addresses.flatMap((a) => a.addr_info.map((info) => info.local)));
  const loopback = new Set(addresses.filter((a) => a.ifname === 'lo').flatMap((a) => a.addr_info.map((info) => info.local)));
  /* A dsr-only host needs no program; one that has it attached is still checked (it may serve tunnels too). */
  const results = state || !request.dsrOnly ? [checkAttached(state)] : [];
  if (state) results.push(...checkTunnelAddresses(state, local));
  results.push(...checkVips(request.vips, loopback));
  if (request.vips.some((vip) => familyOf(vip) === 4)) results.push(...checkArp(ifname));
  if (ifname) results.push(checkRpFilter(ifname));
  if (state) results.push(...checkMss(state));
  return results.map((r) => (r.ok ? { name: r.name, ok: true, detail: r.detail } : r));
}

/*
 * Health probes through the data path for dsr, ipip and gue backends (as
 * Katran's healthchecking program does): the checker connects to the
 * service's VIP:port from a local port reserved for the backend, and the
 * health_steer program at TC egress of the balancer's interfaces sends that
 * packet the way the data plane sends a client's (bpf/src/health_steer.bpf.c).
 * So a backend whose VIP is missing from its loopback, or whose
 * decapsulation is broken, fails its check although its own address answers.
 *
 * Ports: one per checked (service, backend), from PROBE_PORT_BASE up,
 * outside Linux's default ephemeral range (32768-60999), so no other socket
 * of the host is handed one and steered by mistake. A port is reserved and
 * its entry written before the probe connects, and kept while the target is:
 * every probe of one backend is one flow to the fabric.
 */
import { type HealthProbe, type HealthSteerProgram, SluiceForwardingMode, addressToBytes, attachTc, detachTc, loadHealthSteer } from '@sluice/dataplane';
import { HEALTH_MAX_PROBES } from '@sluice/dataplane';
import { isIPv6 } from 'node:net';
import type { DataPathProbe } from './types.js';

/** First probe port: just above Linux's default ip_local_port_range (32768-60999). */
export const PROBE_PORT_BASE = 61000;

/* Our filter on each interface's egress, by handle and priority (detach removes only it). */
const FILTER = { handle: 0x5e1c, priority: 0x5e1c } as const;

/** Removes the steering filter from `ifname`'s egress, this run's or an earlier one's; nothing there is fine. */
export function detachProbeSteering(ifname: string): void {
  detachTc(ifname, FILTER, 'egress');
}

/** What the steering needs to know of the balancer's tunnels (forwarding/tunnel-settings.ts). */
export interface ProbeTunnel {
  source4?: string;
  source6?: string;
  guePort: number;
}

export interface ProbeSteeringOptions {
  objectPath: string;
  /** bpffs directory for the program's maps (reused across agent restarts). */
  pinDir?: string;
  /** The balancer's interfaces: the probes leave through one of them. */
  interfaces: readonly string[];
  /** The tunnel settings in force, read at each reservation. */
  tunnel: () => ProbeTunnel;
  /**
   * The kernel's routes (forwarding/'s KernelNetwork, a peer this layer
   * does not import): a probe must leave through an interface the program
   * is attached to. Throws, saying why, when there is no route.
   */
  network: { routeTo(address: string): { dev: string } };
  portBase?: number;
  /** How many ports (and entries) at most; default HEALTH_MAX_PROBES. */
  ports?: number;
}

/** Reserves probe ports and keeps their health_probes entries. */
export interface ProbeRouter {
  /** The local port to probe `key` from, its entry written. Throws, saying why, when it cannot be steered. */
  portFor(key: string, path: DataPathProbe): number;
  /** Frees the ports of these keys (a key without one is skipped). */
  release(keys: Iterable<string>): void;
}

const MODE_CODE = { dsr: SluiceForwardingMode.MODE_DSR, ipip: SluiceForwardingMode.MODE_IPIP, gue: SluiceForwardingMode.MODE_GUE } as const;

const bytes16 = (address: string) => addressToBytes(address).bytes.subarray(0, 16);

export class ProbeSteering implements ProbeRouter {
  readonly #program: HealthSteerProgram;
  readonly #options: ProbeSteeringOptions;
  readonly #portBase: number;
  readonly #ports: number;
  /** key -> port */
  readonly #reserved = new Map<string, number>();
  /** Entries as written, so an unchanged one is not written again at every probe. */
  readonly #written = new Map<number, string>();
  readonly #free: number[] = [];
  #next = 0;

  constructor(options: ProbeSteeringOptions) {
    this.#options = options;
    this.#portBase = options.portBase ?? PROBE_PORT_BASE;
    this.#ports = Math.min(options.ports ?? HEALTH_MAX_PROBES, HEALTH_MAX_PROBES, 65536 - this.#portBase);
    this.#program = loadHealthSteer({ objectPath: options.objectPath, pinDir: options.pinDir });
    /* Entries of an earlier run name ports this run has not reserved yet: start clean. */
    for (const key of [...this.#program.maps.probes.keys()]) this.#program.maps.probes.delete(key);
  }

  /** Attaches the program at egress of every interface (replacing an earlier run's). */
  attach(): void {
    for (const ifname of this.#options.interfaces) attachTc(this.#program.programFd, ifname, FILTER, 'egress');
  }

  /** Removes the program from every interface; an interface already gone is skipped. */
  detach(): void {
    for (const ifname of this.#options.interfaces) {
      try {
        detachProbeSteering(ifname);
      } catch {
        /* The interface went away with its filter. */
      }
    }
  }

  close(): void {
    this.#program.close();
  }

  get program(): HealthSteerProgram {
    return this.#program;
  }

  portFor(key: string, path: DataPathProbe): number {
    const entry = this.#entryOf(path);
    let port = this.#reserved.get(key);
    if (port === undefined) {
      port = this.#free.pop() ?? (this.#next < this.#ports ? this.#portBase + this.#next++ : undefined);
      if (port === undefined) throw new Error(`no free health probe port: all ${this.#ports} from ${this.#portBase} are in use`);
      this.#reserved.set(key, port);
    }
    const fingerprint = JSON.stringify(path) + JSON.stringify(this.#options.tunnel());
    if (this.#written.get(port) !== fingerprint) {
      this.#checkLeavesThroughUs(path);
      this.#program.maps.probes.update({ source_port: port }, entry);
      this.#written.set(port, fingerprint);
    }
    return port;
  }

  release(keys: Iterable<string>): void {
    for (const key of keys) {
      const port = this.#reserved.get(key);
      if (port === undefined) continue;
      this.#reserved.delete(key);
      this.#written.delete(port);
      this.#program.maps.probes.delete({ source_port: port });
      this.#free.push(port);
    }
  }

  /*
   * A probe that leaves through an interface without the program is never
   * steered: it would reach the VIP through the balancer's own data plane
   * and report on whichever backend that picked. Checked when the entry is
   * written (once per target, and again after a failure).
   */
  #checkLeavesThroughUs(path: DataPathProbe): void {
    const { dev } = this.#options.network.routeTo(path.vip);
    if (this.#options.interfaces.includes(dev)) return;
    throw new Error(
      `the ${path.mode} probe of ${path.backend} would leave for ${path.vip} through ${dev}, where the probes' steering is not attached ` +
        `(the agent's interfaces: ${this.#options.interfaces.join(', ')}); route ${path.vip} through one of them`,
    );
  }

  #entryOf(path: DataPathProbe): HealthProbe {
    const v6 = isIPv6(path.vip);
    const tunnel = this.#options.tunnel();
    let outerSource: Buffer = Buffer.alloc(16);
    if (path.mode !== 'dsr') {
      const source = v6 ? tunnel.source6 : tunnel.source4;
      if (!source)
        throw new Error(
          `no IPv${v6 ? 6 : 4} tunnel source is set: the ${path.mode} probe of ${path.backend} cannot be sent (set --tunnel-source${v6 ? 6 : 4})`,
        );
      outerSource = bytes16(source);
    }
    return {
      vip: bytes16(path.vip),
      backend: bytes16(path.backend),
      outer_source: outerSource,
      vip_port: path.vipPort,
      gue_port: path.mode === 'gue' ? tunnel.guePort : 0,
      family: v6 ? 6 : 4,
      mode: MODE_CODE[path.mode],
    };
  }
}

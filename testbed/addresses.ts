// The address plan of the test network: pure data, no side effects.
// 198.18.0.0/15 is the benchmarking range and 2001:db8::/32 the documentation
// range, so nothing here can collide with a real network.

export const PORTS = { http: 8080, tcp: 9000, udp: 9001 } as const;
export type Ports = { http: number; tcp: number; udp: number };

export const DEFAULT_PREFIX = 'sl';
export const DEFAULT_BACKENDS = 3;
export const MAX_BACKENDS = 64;
export const EXTRA_CLIENTS = 10; // 198.18.0.10-19 and 2001:db8::10-19
export const VIP_COUNT = 8;

export interface PlanOptions {
  prefix?: string;
  backends?: number;
}

export interface BackendPlan {
  name: string; // be<i>: the server's name and the LB's interface name
  index: number;
  namespace: string;
  interface: 'eth0';
  ipv4: string;
  ipv6: string;
  ipv4Cidr: string;
  ipv6Cidr: string;
  gateway: { ipv4: string; ipv6: string };
  lb: { interface: string; ipv4: string; ipv6: string; ipv4Cidr: string; ipv6Cidr: string };
  ports: Ports;
}

export interface Plan {
  prefix: string;
  namespaces: { client: string; lb: string; backends: string[] };
  client: {
    namespace: string;
    interface: 'eth0';
    ipv4: string;
    ipv6: string;
    ipv4Cidr: string;
    ipv6Cidr: string;
    extraIpv4: string[];
    extraIpv6: string[];
    gateway: { ipv4: string; ipv6: string };
    lbInterface: 'cli0';
  };
  lb: {
    namespace: string;
    interfaces: Array<{
      name: string;
      ipv4: string;
      ipv6: string;
      ipv4Cidr: string;
      ipv6Cidr: string;
      faces: { role: 'client' | 'backend'; namespace: string; interface: 'eth0'; backend?: string };
    }>;
  };
  backends: BackendPlan[];
  vips: { ipv4: string[]; ipv6: string[] };
  ports: Ports;
}

// Short lowercase prefixes keep namespace names readable and make the
// "<prefix>-" match in down() unambiguous.
const PREFIX_RE = /^[a-z][a-z0-9]{0,11}$/;

export function validatePlanOptions(options: PlanOptions = {}): { prefix: string; backends: number } {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const backends = options.backends ?? DEFAULT_BACKENDS;
  if (!PREFIX_RE.test(prefix)) {
    throw new Error(`invalid prefix "${prefix}": use 1-12 lowercase letters/digits, starting with a letter`);
  }
  if (!Number.isInteger(backends) || backends < 1 || backends > MAX_BACKENDS) {
    throw new Error(`invalid backend count ${backends}: use an integer 1..${MAX_BACKENDS}`);
  }
  return { prefix, backends };
}

export function namespaceNames(prefix: string) {
  return { client: `${prefix}-client`, lb: `${prefix}-lb`, backend: (i: number) => `${prefix}-be${i}` };
}

/** Matches every namespace that belongs to this prefix, whatever the backend count was. */
export function ownsNamespace(prefix: string, name: string): boolean {
  return new RegExp(`^${prefix}-(client|lb|be\\d+)$`).test(name);
}

export function makePlan(options: PlanOptions = {}): Plan {
  const { prefix, backends: count } = validatePlanOptions(options);
  const ns = namespaceNames(prefix);
  const range = (n: number, from: number) => Array.from({ length: n }, (_, k) => from + k);

  const backends: BackendPlan[] = range(count, 1).map((i) => ({
    name: `be${i}`,
    index: i,
    namespace: ns.backend(i),
    interface: 'eth0',
    ipv4: `198.19.${i}.2`,
    ipv6: `2001:db8:1:${i}::2`,
    ipv4Cidr: `198.19.${i}.2/24`,
    ipv6Cidr: `2001:db8:1:${i}::2/64`,
    gateway: { ipv4: `198.19.${i}.1`, ipv6: `2001:db8:1:${i}::1` },
    lb: {
      interface: `be${i}`,
      ipv4: `198.19.${i}.1`,
      ipv6: `2001:db8:1:${i}::1`,
      ipv4Cidr: `198.19.${i}.1/24`,
      ipv6Cidr: `2001:db8:1:${i}::1/64`,
    },
    ports: { ...PORTS },
  }));

  return {
    prefix,
    namespaces: { client: ns.client, lb: ns.lb, backends: backends.map((b) => b.namespace) },
    client: {
      namespace: ns.client,
      interface: 'eth0',
      ipv4: '198.18.0.2',
      ipv6: '2001:db8::2',
      ipv4Cidr: '198.18.0.2/24',
      ipv6Cidr: '2001:db8::2/64',
      extraIpv4: range(EXTRA_CLIENTS, 10).map((k) => `198.18.0.${k}`),
      extraIpv6: range(EXTRA_CLIENTS, 10).map((k) => `2001:db8::${k}`),
      gateway: { ipv4: '198.18.0.1', ipv6: '2001:db8::1' },
      lbInterface: 'cli0',
    },
    lb: {
      namespace: ns.lb,
      interfaces: [
        {
          name: 'cli0',
          ipv4: '198.18.0.1',
          ipv6: '2001:db8::1',
          ipv4Cidr: '198.18.0.1/24',
          ipv6Cidr: '2001:db8::1/64',
          faces: { role: 'client', namespace: ns.client, interface: 'eth0' },
        },
        ...backends.map((b) => ({
          name: b.lb.interface,
          ipv4: b.lb.ipv4,
          ipv6: b.lb.ipv6,
          ipv4Cidr: b.lb.ipv4Cidr,
          ipv6Cidr: b.lb.ipv6Cidr,
          faces: { role: 'backend' as const, namespace: b.namespace, interface: 'eth0' as const, backend: b.name },
        })),
      ],
    },
    backends,
    vips: {
      ipv4: range(VIP_COUNT, 1).map((k) => `198.18.100.${k}`),
      ipv6: range(VIP_COUNT, 1).map((k) => `2001:db8:100::${k}`),
    },
    ports: { ...PORTS },
  };
}

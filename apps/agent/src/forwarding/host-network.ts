/*
 * What the forwarding modes need to know of the balancer's own network,
 * asked of the kernel with iproute2 in the agent's namespace (the one its
 * XDP program forwards in): the route to a backend, the balancer's addresses,
 * and the neighbour entries of DSR backends. `netns` runs the same commands
 * in a named namespace (`ip -n`): the tests' balancer namespaces.
 */
import { execFile, execFileSync } from 'node:child_process';

/** The kernel's answer to `ip route get ADDR`. */
export interface RouteToAddress {
  /** The interface the kernel sends on. */
  dev: string;
  /** The next hop when the address is not on-link; absent when it is. */
  gateway?: string;
  /** The source the kernel would pick toward it. */
  prefsrc?: string;
}

/** A neighbour entry as `ip -j neigh show` gives it. */
export interface NeighbourEntry {
  address: string;
  dev: string;
  /** The resolved MAC; absent while unresolved or failed. */
  lladdr?: string;
  /** REACHABLE, STALE, DELAY, PROBE, INCOMPLETE, FAILED, PERMANENT, NONE. */
  state: string[];
}

export type InterfaceAddresses = Record<4 | 6, string[]>;

export interface HostNetwork {
  /** The kernel's route to `address`; throws an Error that says why when there is none. */
  routeTo(address: string): RouteToAddress;
  /** routeTo for many addresses in one question: per address its route, or the Error routeTo would throw. */
  routesTo(addresses: readonly string[]): Map<string, RouteToAddress | Error>;
  /** Global addresses of the interfaces, per family, in the interfaces' order (one question for all of them). */
  interfaceAddresses(devs: readonly string[]): InterfaceAddresses;
  /**
   * Asks the kernel to resolve `address` on `dev` and keep it resolved: a
   * "managed" entry (Linux 5.16+) the kernel refreshes by itself, plus NTF_USE,
   * which makes it probe now.
   */
  keepResolved(address: string, dev: string): Promise<void>;
  /** Removes the entry keepResolved made (the backend left DSR). */
  forget(address: string, dev: string): Promise<void>;
  /** Every entry of the neighbour table, in one question. */
  neighbours(): Promise<NeighbourEntry[]>;
}

/* Each command is small and local; one that hangs must not hold a change (commit runs it synchronously). */
const COMMAND_TIMEOUT_MS = 5000;

export class KernelNetwork implements HostNetwork {
  readonly #prefix: string[];

  constructor(options: { netns?: string } = {}) {
    this.#prefix = options.netns ? ['-n', options.netns] : [];
  }

  routeTo(address: string): RouteToAddress {
    const route = this.routesTo([address]).get(address)!;
    if (route instanceof Error) throw route;
    return route;
  }

  routesTo(addresses: readonly string[]): Map<string, RouteToAddress | Error> {
    const routes = new Map<string, RouteToAddress | Error>();
    const asked = [...new Set(addresses)];
    if (asked.length === 0) return routes;
    /* -force goes on past a failed lookup; each answer is one line of JSON, each failure names its line on stderr. */
    const { stdout, stderr, error } = this.#batch(asked.map((address) => `route get ${address}`));
    const failures = batchFailures(stderr);
    const answers = stdout.split('\n').filter((line) => line.trim() !== '');
    let next = 0;
    asked.forEach((address, index) => {
      const failure = failures.get(index + 1);
      if (failure !== undefined || next >= answers.length) {
        const why = failure || error?.message || 'no answer';
        routes.set(address, new Error(`the balancer has no route to ${address} (ip route get: ${why})`));
        return;
      }
      const [route] = JSON.parse(answers[next++]!) as { dev?: string; gateway?: string; prefsrc?: string }[];
      routes.set(
        address,
        route?.dev
          ? { dev: route.dev, ...(route.gateway ? { gateway: route.gateway } : {}), ...(route.prefsrc ? { prefsrc: route.prefsrc } : {}) }
          : new Error(`the balancer has no route to ${address} (ip route get gave no interface)`),
      );
    });
    return routes;
  }

  interfaceAddresses(devs: readonly string[]): InterfaceAddresses {
    const found: InterfaceAddresses = { 4: [], 6: [] };
    if (devs.length === 0) return found;
    /* One spawn for every interface and both families: each costs about 15 ms of the agent's start. */
    const output = execFileSync('ip', [...this.#prefix, '-j', 'addr', 'show', 'scope', 'global'], {
      encoding: 'utf8',
      timeout: COMMAND_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const links = JSON.parse(output) as { ifname?: string; addr_info?: { family?: string; local?: string }[] }[];
    for (const dev of devs) {
      for (const link of links) {
        if (link.ifname !== dev) continue;
        for (const info of link.addr_info ?? []) {
          if (!info.local) continue;
          if (info.family === 'inet') found[4].push(info.local);
          else if (info.family === 'inet6') found[6].push(info.local);
        }
      }
    }
    return found;
  }

  async keepResolved(address: string, dev: string): Promise<void> {
    await this.#ip(['neigh', 'replace', address, 'dev', dev, 'managed', 'use']);
  }

  async forget(address: string, dev: string): Promise<void> {
    await this.#ip(['neigh', 'del', address, 'dev', dev]);
  }

  async neighbours(): Promise<NeighbourEntry[]> {
    const output = await this.#ip(['-j', 'neigh', 'show']);
    const entries = JSON.parse(output || '[]') as { dst: string; dev?: string; lladdr?: string; state?: string[] }[];
    return entries.flatMap((entry) =>
      entry.dev ? [{ address: entry.dst, dev: entry.dev, ...(entry.lladdr ? { lladdr: entry.lladdr } : {}), state: entry.state ?? [] }] : [],
    );
  }

  /** One `ip -batch` for many commands: what it printed, and the error when a command failed. */
  #batch(commands: string[]): { stdout: string; stderr: string; error?: Error } {
    try {
      const stdout = execFileSync('ip', [...this.#prefix, '-j', '-force', '-batch', '-'], {
        encoding: 'utf8',
        input: `${commands.join('\n')}\n`,
        timeout: COMMAND_TIMEOUT_MS,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      return { stdout, stderr: '' };
    } catch (error) {
      const failed = error as Error & { stdout?: string; stderr?: string };
      return { stdout: String(failed.stdout ?? ''), stderr: String(failed.stderr ?? ''), error: failed };
    }
  }

  #ip(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('ip', [...this.#prefix, ...args], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS }, (error, stdout, stderr) => {
        if (error) reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      });
    });
  }
}

/*
 * What `ip -force -batch` says on stderr: each failed command's messages,
 * then "Command failed -:N" (N counts the input's lines from 1). By line.
 */
function batchFailures(stderr: string): Map<number, string> {
  const failures = new Map<number, string>();
  let messages: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    const failed = /^Command failed -:(\d+)$/.exec(line);
    if (failed) {
      failures.set(Number(failed[1]), messages.join('; ').replace(/^RTNETLINK answers: /, ''));
      messages = [];
    } else if (line !== '') messages.push(line);
  }
  return failures;
}

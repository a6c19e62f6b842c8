/*
 * What the forwarding modes need to know of the balancer's own network,
 * asked of the kernel with iproute2 in the agent's namespace (the one its
 * XDP program forwards in): the route to a backend, the balancer's addresses,
 * and the neighbour entries of DSR backends. `netns` runs the same commands
 * in a named namespace (`ip -n`): the tests' balancer namespaces.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';

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

/** A neighbour entry to ask for or remove: per target, undefined when done or the Error that says why not (one `ip -batch` for all). */
export interface NeighbourTarget {
  address: string;
  dev: string;
}

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
  keepResolved(targets: readonly NeighbourTarget[]): Promise<(Error | undefined)[]>;
  /** Removes the entries keepResolved made (the backends left DSR). */
  forget(targets: readonly NeighbourTarget[]): Promise<(Error | undefined)[]>;
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
    const { failures } = batchFailures(stderr);
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

  keepResolved(targets: readonly NeighbourTarget[]): Promise<(Error | undefined)[]> {
    return this.#batchAsync(targets.map(({ address, dev }) => `neigh replace ${address} dev ${dev} managed use`));
  }

  forget(targets: readonly NeighbourTarget[]): Promise<(Error | undefined)[]> {
    return this.#batchAsync(targets.map(({ address, dev }) => `neigh del ${address} dev ${dev}`));
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

  /**
   * Commands that print nothing (neighbour changes), many per spawn, without
   * blocking the loop: per command, undefined or the Error that says why it
   * failed. `ip neigh` ends the whole batch at its first failure, -force or
   * not, and names no line, so a marker that prints one line follows each
   * command: the markers printed say how far it got, the command after them
   * failed, and the rest go in the next spawn. One spawn in all unless
   * commands fail; one more per failure, up to MAX_FAILED_SPAWNS.
   */
  async #batchAsync(commands: string[]): Promise<(Error | undefined)[]> {
    const results: (Error | undefined)[] = [];
    let spawns = 0;
    while (results.length < commands.length) {
      if (spawns++ > MAX_FAILED_SPAWNS) {
        const why = `not tried: ${MAX_FAILED_SPAWNS} commands before it failed (the last: ${results.at(-1)?.message})`;
        for (const command of commands.slice(results.length)) results.push(new Error(`ip ${command}: ${why}`));
        break;
      }
      const rest = commands.slice(results.length);
      const run = await this.#spawnBatch(rest.flatMap((command) => [command, BATCH_MARKER]));
      if (run.error) {
        for (const command of rest) results.push(new Error(`ip ${command}: ${run.error.message}`));
        break;
      }
      const done = run.stdout.split('\n').filter((line) => line.trim() !== '').length;
      const { failures, last } = batchFailures(run.stderr);
      for (let index = 0; index < done && index < rest.length; index++) {
        const failure = failures.get(2 * index + 1);
        results.push(failure === undefined ? undefined : new Error(`ip ${rest[index]}: ${failure}`));
      }
      if (done < rest.length) results.push(new Error(`ip ${rest[done]}: ${last || `exit ${run.code}`}`));
    }
    return results;
  }

  #spawnBatch(lines: string[]): Promise<{ stdout: string; stderr: string; code: number | null; error?: Error }> {
    return new Promise((resolve) => {
      const child = spawn('ip', [...this.#prefix, '-j', '-force', '-batch', '-'], { stdio: ['pipe', 'pipe', 'pipe'], timeout: COMMAND_TIMEOUT_MS });
      let stdout = '';
      let stderr = '';
      let spawnError: Error | undefined;
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      child.on('error', (error) => {
        spawnError = error;
      });
      /* A child that ended early (a failed neigh command, a timeout) closes stdin under us: what it printed says why. */
      child.stdin.on('error', () => {});
      child.stdin.end(`${lines.join('\n')}\n`);
      child.on('close', (code, signal) => {
        const error = spawnError ?? (signal ? new Error(`ended by ${signal}`) : undefined);
        resolve({ stdout, stderr, code, ...(error ? { error } : {}) });
      });
    });
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
 * Failures one batch goes on past, a spawn each, before the rest are left
 * for the next pass: a full neighbour table fails every new entry, and
 * thousands of spawns would outlast the refresh period.
 */
const MAX_FAILED_SPAWNS = 8;

/* Prints one line of JSON and changes nothing: each one printed is a command before it done (#batchAsync). */
const BATCH_MARKER = 'link show dev lo';

/*
 * What `ip -force -batch` says on stderr: each failed command's messages,
 * then "Command failed -:N" (N counts the input's lines from 1), by line;
 * last: the messages after the last of those (a command that ended the batch).
 */
function batchFailures(stderr: string): { failures: Map<number, string>; last: string } {
  const failures = new Map<number, string>();
  let messages: string[] = [];
  const said = () => messages.join('; ').replace(/^RTNETLINK answers: /, '');
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    const failed = /^Command failed -:(\d+)$/.exec(line);
    if (failed) {
      failures.set(Number(failed[1]), said());
      messages = [];
    } else if (line !== '') messages.push(line);
  }
  return { failures, last: said() };
}

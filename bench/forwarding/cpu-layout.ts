/*
 * Where the UDP floods run (issue 14: the balancer, not the generator or the
 * sinks, must set the pace). On veth every hop of an XDP frame runs in the
 * NAPI poll of the receiving device, on the CPU that scheduled it, so by
 * default generator, balancer and sinks all share whichever CPU the
 * generator runs on. Threaded NAPI gives each receive path a kernel thread
 * that can be pinned: the LB's client link (where Sluice's program, the
 * ceiling, nftables or plain routing run) alone on LB_CPU, the generator and
 * the backends' receive paths (the sinks) on the other CPU. Each run's busy
 * receive thread's CPU time over the run then says which side set the pace:
 * a balancer path busy all the time is the bottleneck.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mustRun, mustRunIn } from '../processes.js';
import type { BenchNetwork } from './network.js';

export const LB_CPU = 1;
export const GENERATOR_CPU = 0;
/* SCHED_FIFO, as the kernel's own threaded interrupt handlers run; bounded by the floods' seconds and RT throttling. */
const NAPI_PRIORITY = 50;

/** The pids of the kernel's NAPI threads named after `ifname` (napi/<ifname>-<napi id>). */
function napiThreads(ifname: string): Set<number> {
  const pids = new Set<number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').startsWith(`napi/${ifname}-`)) pids.add(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

/* Turns threaded NAPI on for one device and pins the threads that appeared (another namespace's device of the same name keeps its own). */
async function pinReceivePath(ns: string, ifname: string, cpu: number): Promise<number[]> {
  const before = napiThreads(ifname);
  await mustRunIn(ns, 'sh', ['-c', `echo 1 > /sys/class/net/${ifname}/threaded`]);
  const ours = [...napiThreads(ifname)].filter((pid) => !before.has(pid));
  if (!ours.length) throw new Error(`no NAPI thread appeared for ${ifname} in ${ns} (threaded NAPI needs the device's NAPI on: GRO or an XDP program)`);
  for (const pid of ours) {
    await mustRun('taskset', ['-pc', String(cpu), String(pid)]);
    /* Softirq preempts processes; a NAPI thread at normal priority waits behind them and its ring overflows (measured at load 20: 15 % busy, 7 % of the offered frames delivered). */
    await mustRun('chrt', ['-f', '-p', String(NAPI_PRIORITY), String(pid)]);
  }
  return ours;
}

export interface ReceiveThreads {
  /** The LB's client link: where every scenario's per-packet work is done. */
  lb: number[];
  /** The backends' links: the sinks. */
  sinks: number[];
  description: string;
}

/** The LB's client link on LB_CPU; every backend's link on GENERATOR_CPU. The namespaces' end undoes it. */
export async function pinReceivePaths(net: BenchNetwork): Promise<ReceiveThreads> {
  const lb = await pinReceivePath(net.lbNs, 'cli0', LB_CPU);
  const sinks: number[] = [];
  for (const ns of net.backendNs) sinks.push(...(await pinReceivePath(ns, 'eth0', GENERATOR_CPU)));
  const description = `threaded NAPI (SCHED_FIFO ${NAPI_PRIORITY}): the LB's client link (${lb.length} thread) on CPU ${LB_CPU}; the generator and the backends' links (${sinks.length} threads) on CPU ${GENERATOR_CPU}`;
  return { lb, sinks, description };
}

/** CPU seconds the threads have used so far (utime + stime, in USER_HZ ticks of 1/100 s). */
export function threadCpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* the device went */
    }
  }
  return ticks / 100;
}

/*
 * flow-sync-latency.ts's SYNs, from a thread of their own: on each port it is
 * sent, after a random 3-13 ms, one SYN through the master's program (by its
 * fd, shared by every thread of the process), then the moment it ran. Off the
 * main thread, the SYNs fall at moments independent of the sender's timers;
 * from the main thread's own timers they came in step with them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { testRunXdp } from '@sluice/dataplane';
import { TCP, buildPacket } from '@sluice/dataplane/test-packets';

export interface InjectorData {
  programFd: number;
  client: string;
  service: { address: string; port: number };
}

export interface Injected {
  port: number;
  /** process.hrtime.bigint() right before the test run: one clock for every thread. */
  at: bigint;
}

const { programFd, client, service } = workerData as InjectorData;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

parentPort!.on('message', async (port: number) => {
  await sleep(3 + Math.random() * 10);
  const data = buildPacket({ src: client, dst: service.address, srcPort: port, dstPort: service.port, protocol: 'tcp', tcpFlags: TCP.SYN });
  const at = process.hrtime.bigint();
  testRunXdp(programFd, { data });
  parentPort!.postMessage({ port, at } satisfies Injected);
});

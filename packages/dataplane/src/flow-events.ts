/*
 * Reader of the program's flow_events ring (struct flow_event, written on a
 * flow's new-flow, handshake and re-steer paths: bpf/src/flow_events.h).
 * ring_buffer__consume reads the ring's shared pages and makes no system call
 * when it is empty. wait() sleeps in ppoll on the ring on a libuv worker
 * thread until the program wakes it: the program wakes a reader only with the
 * first event after a drain, so a quiet ring costs nothing and a busy one
 * one wakeup per drain.
 */
import koffi from 'koffi';
import { DataplaneError, checked, checkedPointer } from './errors.js';
import { c, lastErrno } from './libc.js';
import { ALL_SIGNALS } from './signals.js';
import { type FlowEvent, flowEventLayout } from './generated/layout.js';
import { RingBufferSampleFn, libbpf } from './libbpf.js';
import { decode } from './codec.js';

export const FLOW_EVENT_SIZE = flowEventLayout.size;

/** The program's ring buffers: pinned and adopted like its maps, but not key/value maps (so not in MAP_NAMES). */
export const RING_NAMES = ['flow_events'] as const;

/** One event, decoded; `key` is the flow's struct flow_key bytes, usable as a map key as is. */
export interface DecodedFlowEvent extends Omit<FlowEvent, 'key' | 'pad'> {
  key: Buffer;
}

export function decodeFlowEvent(bytes: Buffer): DecodedFlowEvent {
  const event = decode(flowEventLayout, bytes);
  return {
    key: Buffer.from(bytes.subarray(0, event.key.length)),
    backend_id: event.backend_id,
    service_id: event.service_id,
    tcp_state: event.tcp_state,
    flags: event.flags,
    kind: event.kind,
  };
}

const POLLIN = 0x1;
const POLLFD_BYTES = 8;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;

export class FlowEventReader {
  #rb: bigint | null;
  #callback: unknown;
  #batch: DecodedFlowEvent[] = [];
  #malformed = 0;
  /* close() writes it so a pending wait ends at once; closed once no wait holds it. */
  #wakeFd: number;
  /* struct pollfd[2]: the ring, then #wakeFd. The worker thread reads them by address. */
  readonly #pollFds = Buffer.alloc(2 * POLLFD_BYTES);
  readonly #timeout = Buffer.alloc(16);
  #waiting = false;

  /** `mapFd`: the flow_events ring of a loaded or pinned data plane. */
  constructor(mapFd: number) {
    this.#wakeFd = checked('eventfd', 'the flow events reader', () => {
      const fd = c.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      return fd < 0 ? -lastErrno() : fd;
    });
    for (const [index, fd] of [mapFd, this.#wakeFd].entries()) {
      this.#pollFds.writeInt32LE(fd, index * POLLFD_BYTES);
      this.#pollFds.writeInt16LE(POLLIN, index * POLLFD_BYTES + 4);
    }
    this.#callback = koffi.register((_ctx: unknown, data: bigint, size: number) => {
      if (size !== FLOW_EVENT_SIZE) {
        /* Another build's record: never read at our offsets. */
        this.#malformed += 1;
        return 0;
      }
      this.#batch.push(decodeFlowEvent(Buffer.from(new Uint8Array(koffi.view(data, size)))));
      return 0;
    }, koffi.pointer(RingBufferSampleFn));
    try {
      this.#rb = checkedPointer('ring_buffer__new', 'map "flow_events"', () => libbpf.ring_buffer__new(mapFd, this.#callback, null, null));
    } catch (error) {
      koffi.unregister(this.#callback as never);
      this.#closeWakeFd();
      throw error;
    }
  }

  /**
   * Resolves true once the ring holds events, false after `timeoutMs` with
   * none or once close() is called. One wait at a time; drain() after it.
   * The main thread stays free meanwhile.
   */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.#rb === null) return Promise.resolve(false);
    if (this.#waiting) return Promise.reject(new Error('FlowEventReader.wait: a wait is already pending'));
    this.#waiting = true;
    /* struct timespec; a negative or fractional timeout rounds to whole nanoseconds from 0. */
    const ns = BigInt(Math.max(0, Math.round(timeoutMs * 1_000_000)));
    this.#timeout.writeBigInt64LE(ns / 1_000_000_000n, 0);
    this.#timeout.writeBigInt64LE(ns % 1_000_000_000n, 8);
    return new Promise((resolve, reject) => {
      c.ppoll.async(this.#pollFds, 2, this.#timeout, ALL_SIGNALS, (error, ready) => {
        this.#waiting = false;
        if (this.#rb === null) {
          this.#closeWakeFd();
          resolve(false);
        } else if (error || ready < 0) {
          /* Signals are blocked and the fds are ours: only a kernel shortage or a bug ends here (errno stays on the worker thread). */
          reject(new Error(`ppoll on the flow_events ring failed${error ? `: ${(error as Error).message}` : ''}`));
        } else {
          resolve(ready > 0 && (this.#pollFds.readInt16LE(6) & POLLIN) !== 0);
        }
      });
    });
  }

  /** Records that were not a struct flow_event of this build (skipped). */
  get malformed(): number {
    return this.#malformed;
  }

  /** Every event in the ring now, oldest first. */
  drain(): DecodedFlowEvent[] {
    if (this.#rb === null) throw new DataplaneError({ call: 'ring_buffer__consume', subject: 'map "flow_events"', errno: 9, detail: 'reader closed' });
    checked('ring_buffer__consume', 'map "flow_events"', () => libbpf.ring_buffer__consume(this.#rb!));
    const out = this.#batch;
    this.#batch = [];
    return out;
  }

  close(): void {
    if (this.#rb === null) return;
    libbpf.ring_buffer__free(this.#rb);
    this.#rb = null;
    koffi.unregister(this.#callback as never);
    /* A pending wait is woken and closes the eventfd when it returns: closed now, its number could be reused under the worker. */
    if (this.#waiting) c.write(this.#wakeFd, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), 8);
    else this.#closeWakeFd();
  }

  #closeWakeFd(): void {
    if (this.#wakeFd < 0) return;
    c.close(this.#wakeFd);
    this.#wakeFd = -1;
  }
}

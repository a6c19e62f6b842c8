/*
 * Reader of the program's flow_events ring (struct flow_event, written on a
 * flow's new-flow, handshake and re-steer paths: bpf/src/flow_events.h). The
 * program never wakes a reader (BPF_RB_NO_WAKEUP), so the owner drains the
 * ring on its own timer; ring_buffer__consume reads the ring's shared pages
 * and makes no system call when it is empty.
 */
import koffi from 'koffi';
import { DataplaneError, checked, checkedPointer } from './errors.js';
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

export class FlowEventReader {
  #rb: bigint | null;
  #callback: unknown;
  #batch: DecodedFlowEvent[] = [];
  #malformed = 0;

  /** `mapFd`: the flow_events ring of a loaded or pinned data plane. */
  constructor(mapFd: number) {
    this.#callback = koffi.register((_ctx: unknown, data: bigint, size: number) => {
      if (size !== FLOW_EVENT_SIZE) {
        /* Another build's record: never read at our offsets. */
        this.#malformed += 1;
        return 0;
      }
      this.#batch.push(decodeFlowEvent(Buffer.from(new Uint8Array(koffi.view(data, size)))));
      return 0;
    }, koffi.pointer(RingBufferSampleFn));
    this.#rb = checkedPointer('ring_buffer__new', 'map "flow_events"', () => libbpf.ring_buffer__new(mapFd, this.#callback, null, null));
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
  }
}

/*
 * BPF_PROG_TEST_RUN of an XDP (or TC) program: run it on a packet without a NIC.
 *
 * With repeat > 1 the kernel runs the program `repeat` times on the SAME
 * buffer without restoring it, so iteration 2 sees the packet as iteration 1
 * rewrote it. The returned action and bytes are those of the last iteration;
 * for the result of one pass on the given bytes, use repeat 1. Per-packet
 * timing of a rewriting program therefore measures the rewritten packet's
 * path after the first iteration.
 */
import koffi from 'koffi';
import { constants as osConstants } from 'node:os';
import { DataplaneError, checked } from './errors.js';
import {
  BPF_F_TEST_XDP_LIVE_FRAMES,
  type BpfTestRunOpts,
  XDP_MD_INGRESS_IFINDEX_OFFSET,
  XDP_MD_RX_QUEUE_INDEX_OFFSET,
  XDP_MD_SIZE,
  XdpAction,
  libbpf,
} from './libbpf.js';

export interface TestRunOptions {
  /** The whole frame, from the Ethernet header. */
  data: Uint8Array;
  /** Runs of the program (default 1); see the note above about repeat > 1. */
  repeat?: number;
  /** Sets xdp_md.ingress_ifindex; the interface must exist in this network namespace. */
  ingressIfindex?: number;
  rxQueueIndex?: number;
  /**
   * BPF_F_TEST_XDP_LIVE_FRAMES: XDP_TX/XDP_REDIRECT really send the frames
   * (for traffic generation). The kernel returns no output bytes then.
   */
  liveFrames?: boolean;
  /** Frames per batch in live mode (kernel default 64). */
  batchSize?: number;
  /** Room for the output frame; the program may grow the packet (default input + 4096). */
  outputCapacity?: number;
}

export interface TestRunResult {
  /** The program's return value: an XDP action, or a TC action for testRunTc. */
  action: XdpAction;
  /** "XDP_PASS" ("TC_ACT_OK" for testRunTc) etc., or "retval N" for a value outside the known actions. */
  actionName: string;
  /** The frame after the program ran (empty for live frames). */
  data: Buffer;
  /** Average per run, as the kernel measured it. */
  durationNs: number;
}

const ACTION_NAMES = new Map<number, string>(Object.entries(XdpAction).map(([name, value]) => [value, `XDP_${name}`]));

/* The TC actions a sched_cls program returns (linux/pkt_cls.h), by the u32 the kernel hands back. */
const TC_ACTION_NAMES = new Map<number, string>([
  [0xffffffff, 'TC_ACT_UNSPEC'],
  [0, 'TC_ACT_OK'],
  [1, 'TC_ACT_RECLASSIFY'],
  [2, 'TC_ACT_SHOT'],
  [3, 'TC_ACT_PIPE'],
  [4, 'TC_ACT_STOLEN'],
  [7, 'TC_ACT_REDIRECT'],
]);

export function testRunXdp(progFd: number, options: TestRunOptions): TestRunResult {
  return runProgram(progFd, options, ACTION_NAMES);
}

/**
 * BPF_PROG_TEST_RUN of a TC (sched_cls) program: the kernel builds an skb
 * from the frame (eth_type_trans on the namespace's loopback) and returns the
 * frame as the program left it. `action` is the TC action (0: TC_ACT_OK).
 */
export function testRunTc(progFd: number, options: TcTestRunOptions): TestRunResult {
  return runProgram(progFd, options, TC_ACTION_NAMES);
}

export interface TcTestRunOptions extends Pick<TestRunOptions, 'data' | 'outputCapacity'> {
  /**
   * The skb's device (__sk_buff.ifindex): the interface the program runs on,
   * which must exist in this network namespace. Default: the loopback.
   */
  ifindex?: number;
}

/* struct __sk_buff up to and including ifindex (linux/bpf.h); the kernel zero-fills the rest. */
const SK_BUFF_CTX_SIZE = 44;
const SK_BUFF_IFINDEX_OFFSET = 40;

function runProgram(progFd: number, options: TestRunOptions & { ifindex?: number }, actionNames: Map<number, string>): TestRunResult {
  const { data, repeat = 1, liveFrames = false } = options;
  if (data.byteLength < 1) {
    throw new DataplaneError({ call: 'bpf_prog_test_run_opts', subject: `prog fd ${progFd}`, errno: osConstants.errno.EINVAL, detail: 'empty packet' });
  }
  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const output = liveFrames ? null : Buffer.alloc(options.outputCapacity ?? data.byteLength + 4096);
  let ctx: Buffer | null = null;
  if (options.ingressIfindex !== undefined || options.rxQueueIndex !== undefined) {
    /* The kernel requires data = 0 and data_end = the packet length in a supplied xdp_md. */
    ctx = Buffer.alloc(XDP_MD_SIZE);
    ctx.writeUInt32LE(data.byteLength, 4);
    ctx.writeUInt32LE(options.ingressIfindex ?? 0, XDP_MD_INGRESS_IFINDEX_OFFSET);
    ctx.writeUInt32LE(options.rxQueueIndex ?? 0, XDP_MD_RX_QUEUE_INDEX_OFFSET);
  } else if (options.ifindex !== undefined) {
    ctx = Buffer.alloc(SK_BUFF_CTX_SIZE);
    ctx.writeUInt32LE(options.ifindex, SK_BUFF_IFINDEX_OFFSET);
  }
  /* The opts struct carries raw pointers: the buffers above stay referenced until the call returns. */
  const opts: BpfTestRunOpts = {
    sz: 80,
    data_in: koffi.address(input),
    data_out: output ? koffi.address(output) : null,
    data_size_in: data.byteLength,
    data_size_out: output ? output.length : 0,
    ctx_in: ctx ? koffi.address(ctx) : null,
    ctx_out: null,
    ctx_size_in: ctx ? ctx.length : 0,
    ctx_size_out: 0,
    retval: 0,
    repeat,
    duration: 0,
    flags: liveFrames ? BPF_F_TEST_XDP_LIVE_FRAMES : 0,
    cpu: 0,
    batch_size: options.batchSize ?? 0,
  };
  const subject = () =>
    `prog fd ${progFd}, ${data.byteLength} bytes, repeat ${repeat}${options.ingressIfindex !== undefined ? `, ingress ifindex ${options.ingressIfindex}` : ''}${options.ifindex !== undefined ? `, ifindex ${options.ifindex}` : ''}${liveFrames ? ', live frames' : ''}`;
  checked('bpf_prog_test_run_opts', subject, () => libbpf.bpf_prog_test_run_opts(progFd, opts));
  /*
   * opts holds only raw addresses: without a use of ctx after the call, V8
   * may collect it while the kernel reads it (the fuzz test then saw random
   * EINVALs from a garbage xdp_md once nothing else referenced ctx).
   */
  keepAlive(ctx, input);
  return {
    action: opts.retval as XdpAction,
    actionName: actionNames.get(opts.retval) ?? `retval ${opts.retval}`,
    data: output ? Buffer.from(output.subarray(0, opts.data_size_out)) : Buffer.alloc(0),
    durationNs: opts.duration,
  };
}

/*
 * An observable use of buffers whose raw addresses a native call was given,
 * so they stay reachable until after it: a store to a heap object is never
 * optimized away. They stay referenced until the next run (a few KB).
 */
function keepAlive(...buffers: (Buffer | null)[]): void {
  lastKept.buffers = buffers;
}
const lastKept: { buffers: (Buffer | null)[] | null } = { buffers: null };

/*
 * Loads harness.bpf.c next to the data plane and times programs through it.
 * One measurement = one BPF_PROG_TEST_RUN with `repeat` iterations, timed by
 * the kernel's own timer. The wall clock around the syscall is useless here:
 * every XDP test run pays a fixed ~15 ms (measured: 1,000 iterations of the
 * empty program take 16-36 ms of wall time) that no repeat count amortises
 * reliably. The kernel's average is whole nanoseconds; runs are repeated so
 * the truncation dithers out in the medians.
 */
import { fileURLToPath } from 'node:url';
import { checked, checkedPointer } from '@sluice/dataplane';
import { type BpfObjectPtr, libbpf } from '@sluice/dataplane/libbpf';
import { testRunXdp } from '@sluice/dataplane';
import type { FrameTemplate } from './frames.js';
import { buildBenchBpf } from '../bpf-object.js';

const SOURCE = fileURLToPath(new URL('./harness.bpf.c', import.meta.url));
const FRAME_MAX = 128;
/* struct frame_template: 32 bytes of settings, then the frame. */
const TEMPLATE_SIZE = 32 + FRAME_MAX;

export const FlowMode = { fixed: 0, cycle: 1, unique: 2 } as const;
export type FlowMode = keyof typeof FlowMode;

export interface Timing {
  /** The kernel's per-iteration average (whole ns, preemption excluded). */
  ns: number;
  /** Wall-clock nanoseconds per iteration, fixed syscall cost included (diagnostics only). */
  wallNs: number;
  action: string;
}

/** Compiles the harness into a scratch directory (the repository keeps no build output of the bench). */
export function buildHarness(): string {
  return buildBenchBpf(SOURCE);
}

export class Harness {
  private constructor(
    private readonly obj: BpfObjectPtr,
    readonly harnessFd: number,
    readonly emptyFd: number,
    private readonly templateFd: number,
    private readonly cursorFd: number,
    private readonly targetFd: number,
  ) {}

  static load(objectPath: string): Harness {
    const obj = checkedPointer('bpf_object__open_file', objectPath, () => libbpf.bpf_object__open_file(objectPath, null));
    checked('bpf_object__load', objectPath, () => libbpf.bpf_object__load(obj));
    const prog = (name: string) =>
      checked('bpf_program__fd', name, () =>
        libbpf.bpf_program__fd(checkedPointer('find_program', name, () => libbpf.bpf_object__find_program_by_name(obj, name))),
      );
    const map = (name: string) =>
      checked('bpf_map__fd', name, () => libbpf.bpf_map__fd(checkedPointer('find_map', name, () => libbpf.bpf_object__find_map_by_name(obj, name))));
    return new Harness(obj, prog('harness'), prog('empty'), map('template'), map('cursor'), map('target'));
  }

  /** The program the harness tail-calls after restoring the frame. */
  setTarget(progFd: number): void {
    const key = Buffer.alloc(4);
    const value = Buffer.alloc(4);
    value.writeUInt32LE(progFd);
    checked('bpf_map_update_elem', 'harness target', () => libbpf.bpf_map_update_elem(this.targetFd, key, value, 0));
  }

  setTemplate(template: FrameTemplate, mode: FlowMode, flows = 1): void {
    if (template.frame.length > FRAME_MAX) throw new RangeError(`frame of ${template.frame.length} bytes exceeds the harness's ${FRAME_MAX}`);
    const value = Buffer.alloc(TEMPLATE_SIZE);
    value.writeUInt32LE(template.frame.length, 0);
    value.writeUInt32LE(FlowMode[mode], 4);
    value.writeBigUInt64LE(BigInt(flows), 8);
    value.writeUInt32LE(32768, 16);
    value.writeUInt16LE(template.portOffset, 20);
    value.writeUInt16LE(template.addrOffset, 22);
    value.writeUInt32LE(template.basePort, 24);
    value.writeUInt32LE(template.baseAddr >>> 0, 28);
    template.frame.copy(value, 32);
    checked('bpf_map_update_elem', 'harness template', () => libbpf.bpf_map_update_elem(this.templateFd, Buffer.alloc(4), value, 0));
  }

  /** Flow number of the next iteration. */
  setCursor(position: number): void {
    const value = Buffer.alloc(8);
    value.writeBigUInt64LE(BigInt(position));
    checked('bpf_map_update_elem', 'harness cursor', () => libbpf.bpf_map_update_elem(this.cursorFd, Buffer.alloc(4), value, 0));
  }

  cursor(): number {
    const value = Buffer.alloc(8);
    checked('bpf_map_lookup_elem', 'harness cursor', () => libbpf.bpf_map_lookup_elem(this.cursorFd, Buffer.alloc(4), value));
    return Number(value.readBigUInt64LE());
  }

  /** Times `progFd` (any XDP program) over `repeat` iterations on `frame`. */
  time(progFd: number, frame: Buffer, repeat: number, ingressIfindex: number): Timing {
    const start = process.hrtime.bigint();
    const result = testRunXdp(progFd, { data: frame, repeat, ingressIfindex });
    const elapsed = Number(process.hrtime.bigint() - start);
    return { ns: result.durationNs, wallNs: elapsed / repeat, action: result.actionName };
  }

  close(): void {
    libbpf.bpf_object__close(this.obj);
  }
}

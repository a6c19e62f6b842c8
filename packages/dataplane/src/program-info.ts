/*
 * What the kernel reports about a loaded program (struct bpf_prog_info),
 * read through one call: its id, the maps it uses, the verifier's work. Each
 * reader asks for the struct only as far as the field it needs: the kernel
 * accepts a short info_len and fills what fits.
 */
import { constants as osConstants } from 'node:os';
import koffi from 'koffi';
import { DataplaneError, checked } from './errors.js';
import { libbpf } from './libbpf.js';

/* Offsets in struct bpf_prog_info (include/uapi/linux/bpf.h). */
const ID_OFFSET = 4;
const NR_MAP_IDS_OFFSET = 52;
const MAP_IDS_OFFSET = 56;
/* u32, kernel 5.16 on. */
const VERIFIED_INSNS_OFFSET = 216;

/** The verifier's own limit (BPF_COMPLEXITY_LIMIT_INSNS): a program whose checking processes more is refused. */
export const VERIFIER_INSTRUCTION_LIMIT = 1_000_000;

/*
 * The first `size` bytes of the program's info; `request` writes the input
 * fields first (an array for the kernel to fill). Returns how many bytes the
 * kernel filled, fewer than `size` when it knows fewer fields.
 */
function readProgramInfo(progFd: number, size: number, request?: (info: Buffer) => void): { info: Buffer; filled: number } {
  const info = Buffer.alloc(size);
  request?.(info);
  const length = new Uint32Array([size]);
  checked('bpf_obj_get_info_by_fd', `prog fd ${progFd}`, () => libbpf.bpf_obj_get_info_by_fd(progFd, info, length));
  return { info, filled: length[0]! };
}

/** The kernel's id of a loaded program, to compare with what an interface runs. */
export function programIdOfFd(progFd: number): number {
  return readProgramInfo(progFd, ID_OFFSET + 4).info.readUInt32LE(ID_OFFSET);
}

/** The ids of the maps the program uses, or undefined when there are more than `max` (the kernel reports the true count). */
export function programMapIds(progFd: number, max: number): number[] | undefined {
  const ids = Buffer.alloc(4 * max);
  const { info } = readProgramInfo(progFd, MAP_IDS_OFFSET + 8, (request) => {
    request.writeUInt32LE(max, NR_MAP_IDS_OFFSET);
    request.writeBigUInt64LE(koffi.address(ids), MAP_IDS_OFFSET);
  });
  const count = info.readUInt32LE(NR_MAP_IDS_OFFSET);
  if (count > max) return undefined;
  return Array.from({ length: count }, (_, i) => ids.readUInt32LE(4 * i));
}

/** How many instructions the verifier processed to accept the program: its distance from VERIFIER_INSTRUCTION_LIMIT is the room left. */
export function verifiedInstructionsOfFd(progFd: number): number {
  const size = VERIFIED_INSNS_OFFSET + 4;
  const { info, filled } = readProgramInfo(progFd, size);
  if (filled < size) {
    const detail = 'the kernel reports no verified_insns (it came with 5.16)';
    throw new DataplaneError({ call: 'bpf_obj_get_info_by_fd', subject: `prog fd ${progFd}`, detail, errno: osConstants.errno.EOPNOTSUPP });
  }
  return info.readUInt32LE(VERIFIED_INSNS_OFFSET);
}

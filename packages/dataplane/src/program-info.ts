/* What the kernel reports about a loaded program (struct bpf_prog_info). */
import { constants as osConstants } from 'node:os';
import { DataplaneError, checked } from './errors.js';
import { libbpf } from './libbpf.js';

/* struct bpf_prog_info up to verified_insns (u32 at 216, kernel 5.16 on); the kernel accepts a short info_len. */
const VERIFIED_INSNS_OFFSET = 216;
const PROG_INFO_TO_VERIFIED_INSNS = VERIFIED_INSNS_OFFSET + 4;

/** The verifier's own limit (BPF_COMPLEXITY_LIMIT_INSNS): a program whose checking processes more is refused. */
export const VERIFIER_INSTRUCTION_LIMIT = 1_000_000;

/** How many instructions the verifier processed to accept the program: its distance from VERIFIER_INSTRUCTION_LIMIT is the room left. */
export function verifiedInstructionsOfFd(progFd: number): number {
  const info = Buffer.alloc(PROG_INFO_TO_VERIFIED_INSNS);
  const length = new Uint32Array([PROG_INFO_TO_VERIFIED_INSNS]);
  checked('bpf_obj_get_info_by_fd', `prog fd ${progFd}`, () => libbpf.bpf_obj_get_info_by_fd(progFd, info, length));
  if (length[0]! < PROG_INFO_TO_VERIFIED_INSNS) {
    const detail = 'the kernel reports no verified_insns (it came with 5.16)';
    throw new DataplaneError({ call: 'bpf_obj_get_info_by_fd', subject: `prog fd ${progFd}`, detail, errno: osConstants.errno.EOPNOTSUPP });
  }
  return info.readUInt32LE(VERIFIED_INSNS_OFFSET);
}

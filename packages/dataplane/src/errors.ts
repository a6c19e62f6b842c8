/*
 * Every data-plane failure is a DataplaneError whose message says which call
 * failed, on what (map, program, interface, path), and the errno with its
 * text, e.g.
 *   bpf_xdp_attach(ifindex 5 "cli0", native): Device or resource busy (EBUSY)
 * followed, when libbpf warned during the call, by its last log lines (the
 * verifier's reason for a rejected program ends up there).
 */
import { constants as osConstants } from 'node:os';
import { lastErrno } from './libc.js';
import { libbpf } from './libbpf.js';
import { logMark, warningTail } from './libbpf-log.js';

/* Kernel-internal codes that leak to user space and libbpf's own range (4000+). */
const EXTRA_ERRNO_NAMES: Record<number, string> = {
  524: 'ENOTSUPP',
  4000: 'LIBBPF_ERRNO__LIBELF',
  4001: 'LIBBPF_ERRNO__FORMAT',
  4002: 'LIBBPF_ERRNO__KVERSION',
  4003: 'LIBBPF_ERRNO__ENDIAN',
  4004: 'LIBBPF_ERRNO__INTERNAL',
  4005: 'LIBBPF_ERRNO__RELOC',
  4006: 'LIBBPF_ERRNO__LOAD',
  4007: 'LIBBPF_ERRNO__VERIFY',
  4008: 'LIBBPF_ERRNO__PROG2BIG',
  4009: 'LIBBPF_ERRNO__KVER',
  4010: 'LIBBPF_ERRNO__PROGTYPE',
  4011: 'LIBBPF_ERRNO__WRNGPID',
  4012: 'LIBBPF_ERRNO__INVSEQ',
  4013: 'LIBBPF_ERRNO__NLPARSE',
};
/* Where two names share a number, the one the kernel sources use. */
const PREFERRED = new Set(['EAGAIN', 'EDEADLK', 'EOPNOTSUPP']);

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(osConstants.errno)) {
  if (!errnoNames.has(value) || PREFERRED.has(name)) errnoNames.set(value, name);
}
for (const [value, name] of Object.entries(EXTRA_ERRNO_NAMES)) errnoNames.set(Number(value), name);

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

export function errnoText(errno: number): string {
  if (errno === 524) return 'Operation not supported by this map or program type';
  const buf = Buffer.alloc(256);
  if (libbpf.libbpf_strerror(errno, buf, buf.length) < 0) return `Unknown error ${errno}`;
  return buf.toString('utf8', 0, buf.indexOf(0));
}

export interface DataplaneErrorInit {
  /** The libbpf/libc call (or the step) that failed, e.g. "bpf_map_update_elem". */
  call: string;
  /** What it was called on, e.g. `map "flows"` or `ifindex 5 "cli0", native`. */
  subject: string;
  /** Positive errno. */
  errno: number;
  /** Our own explanation when the errno alone would not say enough. */
  detail?: string;
  /** libbpf's warnings logged during the call. */
  libbpfLog?: string;
}

export class DataplaneError extends Error {
  override readonly name = 'DataplaneError';
  readonly call: string;
  readonly subject: string;
  readonly errno: number;
  /** Symbolic errno, e.g. "EBUSY". */
  readonly code: string;
  readonly libbpfLog: string;

  constructor(init: DataplaneErrorInit) {
    const code = errnoName(init.errno);
    const reason = init.detail ?? errnoText(init.errno);
    const log = init.libbpfLog ? `\n${init.libbpfLog.replace(/^/gm, '  ')}` : '';
    super(`${init.call}(${init.subject}): ${reason} (${code})${log}`);
    this.call = init.call;
    this.subject = init.subject;
    this.errno = init.errno;
    this.code = code;
    this.libbpfLog = init.libbpfLog ?? '';
  }
}

/**
 * Run an int-returning libbpf call; a negative result becomes a
 * DataplaneError carrying libbpf's warnings from during the call.
 */
export function checked(call: string, subject: string | (() => string), run: () => number): number {
  const mark = logMark();
  const result = run();
  if (result < 0) {
    throw new DataplaneError({
      call,
      subject: typeof subject === 'function' ? subject() : subject,
      errno: -result,
      libbpfLog: warningTail(mark),
    });
  }
  return result;
}

/** Run a pointer-returning libbpf call; NULL becomes a DataplaneError from errno. */
export function checkedPointer<T extends bigint>(call: string, subject: string, run: () => T | null): T {
  const mark = logMark();
  const result = run();
  if (result === null || result === 0n) {
    /* libbpf 1.x sets errno for NULL results; 0 would mean "not found" without an errno. */
    const errno = lastErrno() || osConstants.errno.ENOENT;
    throw new DataplaneError({ call, subject, errno, libbpfLog: warningTail(mark) });
  }
  return result;
}

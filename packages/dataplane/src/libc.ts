/*
 * The few libc calls the data plane needs besides libbpf: interface names,
 * mounting bpffs, closing fds we opened ourselves, formatting libbpf's
 * printf-style log messages, and flock for the one-agent-per-data-plane lock.
 */
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

type Pointer = bigint;

export const c = {
  /** 0 (and errno ENODEV) when there is no such interface in this network namespace. */
  if_nametoindex: libc.func('unsigned int if_nametoindex(const char *ifname)') as (ifname: string) => number,
  mount: libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)') as (
    source: string,
    target: string,
    fstype: string,
    flags: number,
    data: null,
  ) => number,
  close: libc.func('int close(int fd)') as (fd: number) => number,
  /** 0, or -1 with errno EWOULDBLOCK when LOCK_NB is given and another open file holds the lock. */
  flock: libc.func('int flock(int fd, int operation)') as (fd: number, operation: number) => number,
  /* va_list is a pointer to __va_list_tag on x86-64, so it can travel as void *. */
  vasprintf: libc.func('int vasprintf(_Out_ void **strp, const char *fmt, void *ap)') as (out: [Pointer | null], fmt: string, ap: Pointer) => number,
  free: libc.func('void free(void *ptr)') as (ptr: Pointer) => void,
};

/** errno of the last failed call (libc sets it; libbpf sets it too for pointer-returning calls). */
export function lastErrno(): number {
  return koffi.errno();
}

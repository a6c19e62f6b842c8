/*
 * The few libc calls the data plane needs besides libbpf: interface names,
 * mounting bpffs, closing fds we opened ourselves, formatting libbpf's
 * printf-style log messages, flock for the one-agent-per-data-plane lock,
 * poll with an eventfd for waiting on a ring buffer off the main thread, and
 * the thread's signal mask (signals.ts).
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
  /** An fd, or -1 with errno. */
  eventfd: libc.func('int eventfd(unsigned int initval, int flags)') as (initval: number, flags: number) => number,
  write: libc.func('long write(int fd, const void *buf, unsigned long count)') as (fd: number, buf: Buffer, count: number) => number,
  /** 0, or an errno (not -1): `how` SIG_BLOCK or SIG_SETMASK, sets of glibc's sigset_t size. */
  pthread_sigmask: libc.func('int pthread_sigmask(int how, const void *set, _Out_ void *oldset)') as (
    how: number,
    set: Buffer,
    oldset: Buffer | null,
  ) => number,
  /*
   * ppoll with every signal blocked during the wait, so that a signal never
   * ends it early. `fds` is a Buffer of struct pollfd (8 bytes each),
   * `timeout` one struct timespec, `sigmask` a sigset_t. Called with .async:
   * koffi runs it on a libuv worker thread, so the main thread never blocks;
   * the Buffers are passed by address, not copied, and must outlive the call.
   */
  ppoll: libc.func('int ppoll(void *fds, unsigned long nfds, const void *timeout, const void *sigmask)') as {
    async(fds: Buffer, nfds: number, timeout: Buffer, sigmask: Buffer, done: (error: unknown, result: number) => void): void;
  },
};

/** errno of the last failed call (libc sets it; libbpf sets it too for pointer-returning calls). */
export function lastErrno(): number {
  return koffi.errno();
}

/*
 * The verifier gives up with EAGAIN as soon as a signal is pending for the
 * thread that loads a program, and libbpf retries only 5 times: a profiler's
 * SIGPROF every 100 µs fails every load (node --cpu-prof), and a SIGHUP or
 * SIGTERM that lands in the 1-2 s of a load costs it a retry. While the
 * thread blocks them, a signal sent to the process goes to another of its
 * threads (Node's handler then runs on the main loop as usual), and one aimed
 * at this thread waits until the load is done.
 */
import { DataplaneError } from './errors.js';
import { c } from './libc.js';

const SIG_BLOCK = 0;
const SIG_SETMASK = 2;
/* glibc's sigset_t (1024 bits): every bit set blocks every signal that can be blocked. */
export const SIGSET_BYTES = 128;
export const ALL_SIGNALS = Buffer.alloc(SIGSET_BYTES, 0xff);

/** Runs `run` with every signal blocked on the calling thread, then restores its mask (a signal that came meanwhile is delivered then). */
export function withSignalsBlocked<T>(run: () => T): T {
  const previous = Buffer.alloc(SIGSET_BYTES);
  const errno = c.pthread_sigmask(SIG_BLOCK, ALL_SIGNALS, previous);
  if (errno !== 0) throw new DataplaneError({ call: 'pthread_sigmask', subject: 'SIG_BLOCK, every signal', errno });
  try {
    return run();
  } finally {
    c.pthread_sigmask(SIG_SETMASK, previous, null);
  }
}

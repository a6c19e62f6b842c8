/*
 * A fresh start's program verified on a libuv thread while the agent writes
 * its maps. The verifier takes a second or more of a first start, and the
 * agent's import of its configuration about as long: done one after the
 * other, they add up. Here the first object has created and pinned the maps
 * without its program (autoload off); a second object of the same file, set
 * up alike and pointed at those pins, loads the program beside it.
 */
import { type BpfObjectPtr, libbpf } from './libbpf.js';
import { checked, checkedPointer } from './errors.js';
import { pauseLibbpfLog } from './libbpf-log.js';
import { withSignalsBlocked } from './signals.js';

export interface VerifiedProgram {
  /** The second object: it holds the program, and is closed with the data plane. */
  obj: BpfObjectPtr;
  fd: number;
}

/**
 * `open` gives the second object, configured like the first and every map
 * pointed at its pin. libbpf is silent during the threaded load (a message
 * would wait for the main thread's loop, stalling the load while the agent
 * is busy), so a failed load is done once more on the calling thread, where
 * the verifier's reason reaches the error.
 */
export function verifyInBackground(open: () => BpfObjectPtr, programName: string, subject: string): Promise<VerifiedProgram> {
  const obj = open();
  return new Promise((resolve, reject) => {
    const resume = pauseLibbpfLog();
    libbpf.bpf_object__load.async(obj, (error, result) => {
      resume();
      if (!error && result >= 0) {
        try {
          resolve({ obj, fd: programFdOf(obj, programName) });
        } catch (failure) {
          libbpf.bpf_object__close(obj);
          reject(failure);
        }
        return;
      }
      libbpf.bpf_object__close(obj);
      try {
        resolve(loadHere(open, programName, subject));
      } catch (failure) {
        reject(failure);
      }
    });
  });
}

function loadHere(open: () => BpfObjectPtr, programName: string, subject: string): VerifiedProgram {
  const obj = open();
  try {
    checked('bpf_object__load', subject, () => withSignalsBlocked(() => libbpf.bpf_object__load(obj)));
    return { obj, fd: programFdOf(obj, programName) };
  } catch (error) {
    libbpf.bpf_object__close(obj);
    throw error;
  }
}

function programFdOf(obj: BpfObjectPtr, programName: string): number {
  const prog = checkedPointer('bpf_object__find_program_by_name', `program "${programName}"`, () => libbpf.bpf_object__find_program_by_name(obj, programName));
  return checked('bpf_program__fd', `program "${programName}"`, () => libbpf.bpf_program__fd(prog));
}

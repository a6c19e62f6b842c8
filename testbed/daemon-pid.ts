// The pid files of the daemons a test starts (backend servers, BIRD,
// keepalived), and the check that a pid is still the one we started: a
// recycled pid must never be signalled, so the process's command line must
// name the program and a file that is ours alone (its config or pid file).
import { readFileSync } from 'node:fs';

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True if `pid` is alive (not a zombie), runs `program` (its name or a path ending in it) and has `ownFile` among its arguments. */
export function isOurProcess(pid: number, program: string, ownFile: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && cmdline.some((a) => a === program || a.endsWith(`/${program}`)) && cmdline.includes(ownFile);
  } catch {
    return false;
  }
}

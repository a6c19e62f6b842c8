/*
 * One agent per data plane and per store. `sluice agent` takes an exclusive
 * flock on its data directory and on its pin directory before it opens the
 * store, loads a program or attaches anything, so a second agent refuses
 * while the first's program, maps and socket stay as they are (without
 * this, a second agent replaced the running program before it noticed the
 * socket in use).
 *
 * flock, not a pid file: the kernel drops the lock when the holder exits,
 * however it exits, so a crashed agent never leaves a stale lock behind.
 * The directories themselves are locked (flock works on any open file),
 * since a bpffs holds no lock files; mounting the bpffs on the pin dir first
 * changes nothing when it is already mounted. The holder's pid, for the
 * message, comes from /proc/locks.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { ensureBpffs } from '@sluice/dataplane';
import { c, lastErrno } from '@sluice/dataplane/libc';

const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;

export class AgentLockedError extends Error {
  constructor(
    readonly path: string,
    readonly holderPid: number | undefined,
  ) {
    const who = holderPid === undefined ? 'another sluice agent (pid unknown)' : `another sluice agent (pid ${holderPid})`;
    const stop = holderPid === undefined ? 'stop it first' : `stop it first (kill ${holderPid})`;
    super(
      `${who} is running on ${path}; this one changed nothing and exits. To restart, ${stop}; to run a second agent, give it its own --pin-dir and --data-dir`,
    );
    this.name = 'AgentLockedError';
  }
}

export interface AgentLock {
  /** Lets the next agent start (tests; a process that exits releases it anyway). */
  release(): void;
}

/** Locks the store directory, then the pin directory; throws AgentLockedError if another agent holds either. */
export function claimAgentLock(options: { dataDir: string; pinDir: string }): AgentLock {
  const fds: number[] = [];
  const release = () => {
    for (const fd of fds.splice(0)) closeSync(fd);
  };
  try {
    mkdirSync(options.dataDir, { recursive: true });
    fds.push(lockDirectory(options.dataDir));
    ensureBpffs(options.pinDir);
    fds.push(lockDirectory(options.pinDir));
  } catch (error) {
    release();
    throw error;
  }
  return { release };
}

function lockDirectory(path: string): number {
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  if (c.flock(fd, LOCK_EX | LOCK_NB) === 0) return fd;
  const errno = lastErrno();
  const holder = errno === EWOULDBLOCK ? flockHolder(fd) : undefined;
  closeSync(fd);
  if (errno === EWOULDBLOCK) throw new AgentLockedError(path, holder);
  throw new Error(`locking ${path} (flock) failed with errno ${errno}; is it a directory this user may open?`);
}

/** The pid holding a flock on the file behind fd, from /proc/locks ("1: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE 0 EOF"). */
function flockHolder(fd: number): number | undefined {
  const stat = fstatSync(fd, { bigint: true });
  /* glibc's dev_t encoding; /proc/locks prints major and minor in hex. */
  const major = Number(((stat.dev >> 8n) & 0xfffn) | ((stat.dev >> 32n) & ~0xfffn));
  const minor = Number((stat.dev & 0xffn) | ((stat.dev >> 12n) & ~0xffn));
  let text: string;
  try {
    text = readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const m = /^\d+: FLOCK\s+\S+\s+WRITE\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (m && Number.parseInt(m[2]!, 16) === major && Number.parseInt(m[3]!, 16) === minor && BigInt(m[4]!) === stat.ino) return Number(m[1]);
  }
  return undefined;
}

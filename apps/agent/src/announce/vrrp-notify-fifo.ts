/*
 * keepalived's role reports, read in keepalived's own order from its notify
 * FIFO (`vrrp_notify_fifo` in ops/keepalived/keepalived.conf.in). The notify
 * hooks (`sluice node role`, one process each) raced: keepalived starts each
 * without waiting for the last, and a lock does not keep waiters in order, so
 * a backup reported right after a start-up master could land first and the
 * agent showed master while keepalived was backup (CI saw it for 30 s). One
 * reader of one stream cannot reorder, and needs no process per transition.
 *
 * The agent makes the FIFO when it is missing, so keepalived finds it and
 * never removes it. Opened read-write: the reader never sees an end when
 * keepalived closes it, and lines written while no agent ran wait in the pipe
 * for the next one (64 KiB, some 1,500 lines; keepalived drops what does not
 * fit). A FIFO replaced under the path (keepalived made it, and removes it
 * when it stops) is opened again within a second, once the old one's lines
 * are read.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { Socket } from 'node:net';
import type { NodeRoleInput } from '@sluice/api';

/* keepalived's states that are roles; its other lines (priority changes, a lower-priority advert) change none. */
const ROLE_OF_STATE: Record<string, NodeRoleInput['role']> = {
  MASTER: 'master',
  BACKUP: 'backup',
  FAULT: 'fault',
  STOP: 'stop',
  /* The instance left keepalived's config on a reload: this node no longer holds its VIPs. */
  DELETED: 'stop',
};
const LINE = /^INSTANCE "(.*)" ([A-Z_]+) \d+$/;
const INSTANCE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const REOPEN_CHECK_MS = 1000;

/** A role report in one keepalived FIFO line (`INSTANCE "name" STATE priority`); null for any other line. */
export function parseNotifyLine(line: string): NodeRoleInput | null {
  const match = LINE.exec(line);
  const role = match ? ROLE_OF_STATE[match[2]!] : undefined;
  if (!match || !role) return null;
  /* The API's instance names are stricter than keepalived's: another name still reports the role. */
  return INSTANCE_NAME.test(match[1]!) ? { role, instance: match[1]! } : { role };
}

type Log = (level: 'info' | 'error', message: string) => void;

export class VrrpNotifyFifo {
  readonly #path: string;
  readonly #log: Log;
  #onReport: ((input: NodeRoleInput) => void) | null = null;
  #socket: Socket | null = null;
  #fd = -1;
  #inode = -1;
  #partial = '';
  #failing = false;
  #timer: NodeJS.Timeout | undefined;

  /**
   * Makes the FIFO if it is missing and opens it, reading nothing yet (what
   * keepalived writes meanwhile waits in the pipe); throws naming the path if
   * it is not a FIFO or cannot be opened, before the agent attaches anything.
   */
  constructor(path: string, log: Log) {
    this.#path = path;
    this.#log = log;
    try {
      this.#open();
    } catch (error) {
      throw new Error(`VRRP notify FIFO ${path}: ${(error as Error).message}`);
    }
  }

  /** Reports every role line, in keepalived's order, from now on. */
  start(onReport: (input: NodeRoleInput) => void): void {
    this.#onReport = onReport;
    this.#startReading();
    this.#timer = setInterval(() => this.#reopenIfReplaced(), REOPEN_CHECK_MS).unref();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#socket?.destroy();
    this.#socket = null;
    /* Never started: no socket owns the descriptor. */
    if (!this.#onReport) closeSync(this.#fd);
  }

  #open(): void {
    const found = lstatOrNull(this.#path);
    if (found && !found.isFIFO()) throw new Error('exists and is not a FIFO');
    /* Root's only: whoever writes to it sets this node's role. */
    if (!found) execFileSync('mkfifo', ['-m', '600', this.#path], { stdio: ['ignore', 'ignore', 'pipe'] });
    const fd = openSync(this.#path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    const opened = fstatSync(fd);
    if (!opened.isFIFO()) {
      closeSync(fd);
      throw new Error('exists and is not a FIFO');
    }
    this.#fd = fd;
    this.#inode = opened.ino;
    this.#partial = '';
  }

  #startReading(): void {
    const socket = new Socket({ fd: this.#fd, readable: true, writable: false });
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => this.#read(text));
    socket.on('error', (error) => this.#log('error', `VRRP notify FIFO ${this.#path}: ${error.message}`));
    this.#socket = socket;
  }

  #read(text: string): void {
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop()!;
    for (const line of lines) {
      const report = parseNotifyLine(line);
      if (report) this.#onReport?.(report);
    }
  }

  /** keepalived removes a FIFO it made when it stops and makes a new one when it starts: follow the path. */
  #reopenIfReplaced(): void {
    try {
      if (lstatOrNull(this.#path)?.ino === this.#inode) return;
      if (this.#socket) this.#closeAfterReading(this.#socket);
      this.#open();
      this.#startReading();
      this.#log('info', `VRRP notify FIFO ${this.#path}: replaced, reading the new one`);
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) this.#log('error', `VRRP notify FIFO ${this.#path}: ${(error as Error).message}; tried again every second`);
      this.#failing = true;
    }
  }

  /* A line keepalived wrote just before it stopped may not have reached the socket yet: read the pipe dry first. */
  #closeAfterReading(socket: Socket): void {
    const buffer = Buffer.alloc(4096);
    for (;;) {
      let n = 0;
      try {
        n = readSync(this.#fd, buffer);
      } catch {
        break; // EAGAIN: empty
      }
      if (n === 0) break;
      this.#read(buffer.toString('utf8', 0, n));
    }
    socket.destroy();
    this.#socket = null;
  }
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

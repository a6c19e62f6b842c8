/*
 * The split-brain yield as a file keepalived tracks (`track_file` with weight
 * 0 in ops/keepalived/keepalived.conf.in): "1" while this node yields, "0"
 * otherwise. keepalived watches the file with inotify, so a yield takes the
 * VIPs away as soon as it is judged; the node check says the same, but
 * keepalived needs two failed runs of it (fall 2, a node process each), which
 * took up to 9 s on a loaded CI machine. Written whole (a temporary file
 * renamed over it): keepalived never reads half a value.
 */
import { renameSync, writeFileSync } from 'node:fs';

export class YieldFile {
  readonly #path: string;
  #written: boolean | null = null;
  #failing = false;

  /** Writes "0" at once: a file a dead agent left at "1" must not keep a fresh node out. Throws naming the file if it cannot be written. */
  constructor(path: string) {
    this.#path = path;
    try {
      this.#write(false);
    } catch (error) {
      throw new Error(`sync yield file ${path}: ${(error as Error).message}`);
    }
  }

  /**
   * Writes only a change. A failed write is logged (once until one succeeds)
   * and tried again on the next call; the node check still fails while the
   * node yields, so keepalived still takes the VIPs away, only later.
   */
  set(yielding: boolean, log: (level: 'info' | 'error', message: string) => void): void {
    if (yielding === this.#written) return;
    try {
      this.#write(yielding);
      if (this.#failing) log('info', `sync yield file ${this.#path}: written again`);
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) log('error', `sync yield file ${this.#path}: ${(error as Error).message}; keepalived learns of the yield from the node check only`);
      this.#failing = true;
    }
  }

  #write(yielding: boolean): void {
    const temporary = `${this.#path}.tmp`;
    writeFileSync(temporary, yielding ? '1\n' : '0\n', { mode: 0o644 });
    renameSync(temporary, this.#path);
    this.#written = yielding;
  }
}

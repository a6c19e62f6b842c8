/*
 * Talks to this node's BIRD through its control socket with birdc. Every
 * call is bounded in time; an error names the command and what birdc said.
 */
import { execFile } from 'node:child_process';

const BIRDC_TIMEOUT_MS = 5_000;

export interface BirdcReply {
  /** birdc's exit code: 0 answered, 1 refused (a bad config, "No valid tables") or no daemon on the socket. */
  code: number;
  output: string;
}

export class Birdc {
  constructor(
    readonly socket: string,
    readonly birdcPath = 'birdc',
  ) {}

  /** Runs one command; resolves with the reply whatever birdc's exit code. Rejects only if birdc could not run. */
  run(...command: string[]): Promise<BirdcReply> {
    return new Promise((resolve, reject) => {
      execFile(this.birdcPath, ['-s', this.socket, ...command], { timeout: BIRDC_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
        const err = error as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        if (err && typeof err.code === 'string') {
          reject(new Error(`${this.birdcPath} could not run (${err.code}): install BIRD 2 (apt-get install bird2) or set birdcPath`));
          return;
        }
        if (err?.killed) {
          reject(new Error(`birdc -s ${this.socket} ${command.join(' ')} did not answer within ${BIRDC_TIMEOUT_MS} ms`));
          return;
        }
        resolve({ code: typeof err?.code === 'number' ? err.code : 0, output: `${stdout}${stderr}` });
      });
    });
  }

  /** Like run, but an answer with a non-zero exit is an error naming the command. */
  async checked(...command: string[]): Promise<string> {
    const reply = await this.run(...command);
    if (reply.code !== 0) throw new Error(`birdc -s ${this.socket} ${command.join(' ')} failed: ${reply.output.trim() || `exit ${reply.code}`}`);
    return reply.output;
  }
}

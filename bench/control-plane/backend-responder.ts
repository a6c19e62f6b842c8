/*
 * Live backends for the at-scale agent's health checks: the backends'
 * address ranges routed as local in the bench namespace (AnyIP), and one TCP
 * listener there that accepts and closes every connection, so each of the
 * 4,096 backends passes a TCP check without a namespace of its own. The
 * probes never leave the namespace (loopback) and never reach the data
 * plane. Undone by stop(), also after a failed start.
 */
import type { ChildProcess } from 'node:child_process';
import { mustRun, runCommand, startIn, stopChild } from '../processes.js';

const LISTENER = `
const server = require('node:net').createServer((socket) => { socket.on('error', () => {}); socket.end(); });
server.listen(Number(process.argv[1]), '0.0.0.0', () => console.log('listening'));
`;
const LISTEN_DEADLINE_MS = 10_000;

export interface BackendResponder {
  stop(): Promise<void>;
}

/** `prefixes`: the backends' ranges (CIDR), made local in `namespace`; `port`: the backends' port. */
export async function startBackendResponder(namespace: string, prefixes: readonly string[], port: number): Promise<BackendResponder> {
  const routed: string[] = [];
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child) await stopChild(child);
    for (const prefix of routed) await runCommand('ip', ['-n', namespace, 'route', 'del', 'local', prefix, 'dev', 'lo', 'table', 'local'], 5_000);
  };
  try {
    for (const prefix of prefixes) {
      await mustRun('ip', ['-n', namespace, 'route', 'add', 'local', prefix, 'dev', 'lo', 'table', 'local']);
      routed.push(prefix);
    }
    child = startIn(namespace, process.execPath, ['-e', LISTENER, String(port)]);
    await listening(child);
    return { stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the backend responder did not listen within ${LISTEN_DEADLINE_MS} ms: ${output}`)), LISTEN_DEADLINE_MS);
    const done = (error?: Error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('listening')) done();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('exit', (code) => done(new Error(`the backend responder exited (${code}): ${output}`)));
  });
}

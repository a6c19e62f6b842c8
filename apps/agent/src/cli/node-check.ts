/*
 * `sluice node check`: keepalived's vrrp_script, run every second or two on
 * a node that may be loaded. Exit 0 only when the agent answers that the
 * program is attached, the maps reconciled and the agent ready; otherwise
 * non-zero with one line saying why (1: not serving or refused, 2: usage,
 * 3: the agent cannot be reached or does not answer in time). It starts
 * without the tRPC client, zod or the other commands (cli.ts loads only this
 * module for it): one GET of node.check on the socket, read as tRPC's HTTP
 * answer ({"result":{"data":...}} or {"error":{...}}).
 */
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { UsageError, duration } from './args.js';
import { socketPathFrom, tokenFrom } from './credentials.js';

/* An agent that cannot answer in 2 s fails the check rather than piling up keepalived's runs. */
const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

interface CheckAnswer {
  ok: boolean;
  reason: string | null;
}

class Unreachable extends Error {}

function getCheck(socketPath: string, token: string | null, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path: '/node.check',
        method: 'GET',
        /* One request: the connection closes with the answer, leaving nothing to keep the process alive. */
        headers: { connection: 'close', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Unreachable(`no answer from the agent on ${socketPath} within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error instanceof Unreachable || error.code
          ? new Unreachable(error.code ? `cannot reach the agent at ${socketPath} (${error.code})` : error.message)
          : error,
      ),
    );
    req.end();
  });
}

/** Why the answer is not "serving", or null when it is. */
export function checkVerdict(status: number, body: string): string | null {
  let parsed: { result?: { data?: CheckAnswer }; error?: { message?: string } };
  try {
    parsed = JSON.parse(body);
  } catch {
    return `the agent answered HTTP ${status} with no JSON`;
  }
  if (parsed.error) return `the agent refused: ${parsed.error.message ?? `HTTP ${status}`}`;
  const data = parsed.result?.data;
  if (!data || typeof data.ok !== 'boolean') return `the agent answered HTTP ${status} without a check`;
  return data.ok ? null : `not serving: ${data.reason ?? 'no reason given'}`;
}

/** Returns the exit code; writes one line either way. */
export async function runNodeCheck(argv: string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { socket: { type: 'string' }, 'token-file': { type: 'string' }, timeout: { type: 'string' }, json: { type: 'boolean', default: false } },
      allowPositionals: false,
      strict: true,
    });
    const timeoutMs = duration('timeout', values.timeout) ?? DEFAULT_CHECK_TIMEOUT_MS;
    const { status, body } = await getCheck(socketPathFrom(values), tokenFrom(values), timeoutMs);
    const why = checkVerdict(status, body);
    if (why) {
      process.stderr.write(`sluice: node check: ${why}\n`);
      return 1;
    }
    process.stdout.write(values.json ? `${JSON.stringify(JSON.parse(body).result.data)}\n` : 'ok: program attached, maps reconciled, agent ready\n');
    return 0;
  } catch (error) {
    process.stderr.write(`sluice: node check: ${(error as Error).message.split('\n')[0]}\n`);
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return 2;
    return error instanceof Unreachable ? 3 : 1;
  }
}

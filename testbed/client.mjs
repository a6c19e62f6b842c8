#!/usr/bin/env node
// Test client, run inside the client namespace:
//   ip netns exec sl-client node testbed/client.mjs <http|udp|hold> [options]
// Every mode is bounded in count and in time (--timeout-ms, a hard total
// deadline) and prints exactly one JSON object on stdout. The exit code is 0
// whenever a report was printed (failures are in the report), 2 on bad usage.
import net from 'node:net';
import { parseArgs } from 'node:util';
import { UsageError } from './client/common.mjs';
import { httpMode } from './client/http.mjs';
import { udpMode } from './client/udp.mjs';
import { holdMode } from './client/hold.mjs';

const USAGE = `usage:
  client.mjs http --url URL --count N [--concurrency C] [--source ADDR] [--keepalive]
  client.mjs udp  --host H --port P --count N [--concurrency C] [--source ADDR] [--new-socket]
  client.mjs hold --host H --port P --seconds S [--interval-ms I] [--source ADDR] [--source-port N] [--ready-file F] [--progress]
common: [--timeout-ms T] total deadline (default 60000; hold: at least S*1000+10000)
        [--request-timeout-ms R] per request (default 5000; udp 1000)`;

const MODES = { http: httpMode, udp: udpMode, hold: holdMode };

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      count: { type: 'string' },
      concurrency: { type: 'string' },
      source: { type: 'string' },
      'source-port': { type: 'string' },
      keepalive: { type: 'boolean' },
      'new-socket': { type: 'boolean' },
      seconds: { type: 'string' },
      'interval-ms': { type: 'string' },
      'ready-file': { type: 'string' },
      progress: { type: 'boolean' },
      'timeout-ms': { type: 'string' },
      'request-timeout-ms': { type: 'string' },
    },
  });
  const mode = MODES[positionals[0]];
  if (!mode || positionals.length !== 1) throw new UsageError(`unknown or missing mode "${positionals[0] ?? ''}"`);
  if (values.source && !net.isIP(values.source)) throw new UsageError('--source must be an IP address');
  return mode(values);
}

main().then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0)),
  (err) => {
    if (err instanceof UsageError || err?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`${err.message}\n${USAGE}`);
      process.exit(2);
    }
    process.stdout.write(`${JSON.stringify({ error: err?.message ?? String(err) })}\n`, () => process.exit(1));
  },
);

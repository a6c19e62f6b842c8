/*
 * The test client's UDP mode with --new-socket: every request comes from a
 * source port the run has not used, so each is a new flow for a balancer
 * (the exact round-robin splits depend on it; CI run 35 once saw 11/9 for
 * 10/10 when the kernel handed a closed socket's port out again).
 * On loopback only, against an echo server of this test.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const CLIENT = join(import.meta.dirname, 'client.mjs');
/* Far more sockets than ports the kernel spreads them over would allow without a repeat (about 28K ports: ~50% chance of one at 200). */
const COUNT = 600;

test(`${COUNT} requests with --new-socket come from ${COUNT} distinct source ports, each answered`, async () => {
  const server = dgram.createSocket('udp4');
  const sourcePorts: number[] = [];
  server.on('message', (message, from) => {
    sourcePorts.push(from.port);
    server.send(`echo ${message.toString('utf8')}`, from.port, from.address);
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [CLIENT, 'udp', '--host', '127.0.0.1', '--port', String(server.address().port), '--count', String(COUNT), '--concurrency', '3', '--new-socket'],
      { timeout: 60_000 },
    );
    const report = JSON.parse(stdout) as { succeeded: number; byBackend: Record<string, number>; portsRepeatedByKernel: number };
    assert.equal(report.succeeded, COUNT);
    assert.deepEqual(report.byBackend, { echo: COUNT });
    assert.equal(sourcePorts.length, COUNT);
    assert.equal(new Set(sourcePorts).size, COUNT, `repeated source ports: ${COUNT - new Set(sourcePorts).size}`);
    console.log(`# the kernel handed out a used port ${report.portsRepeatedByKernel} times; those sockets were kept aside`);
  } finally {
    server.close();
  }
});

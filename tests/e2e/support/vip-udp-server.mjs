#!/usr/bin/env node
// A UDP echo for the bypass modes, run in a backend namespace:
//   vip-udp-server.mjs --name NAME --port P --vip A [--vip B ...] --seconds S
// Answers each datagram with "<name> <payload>", as the testbed's backend
// server does, but from a socket bound to each VIP: in dsr, ipip and gue the
// client's datagram reaches the backend addressed to the VIP, and a socket
// bound to the wildcard would answer from the host's own address, which the
// client's connected socket drops. (A real UDP service in these modes binds
// to its VIPs, or answers with IP_PKTINFO, for the same reason.)
// Prints "listening" once every socket is bound; exits by itself after S seconds.
import dgram from 'node:dgram';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { name: { type: 'string' }, port: { type: 'string' }, vip: { type: 'string', multiple: true }, seconds: { type: 'string' } },
});
if (!values.name || !values.port || !values.vip?.length || !values.seconds) {
  console.error('usage: vip-udp-server.mjs --name NAME --port P --vip A [--vip B ...] --seconds S');
  process.exit(2);
}
await Promise.all(
  values.vip.map(
    (vip) =>
      new Promise((resolve, reject) => {
        const socket = dgram.createSocket(net.isIPv6(vip) ? 'udp6' : 'udp4');
        socket.on('message', (msg, from) => socket.send(Buffer.concat([Buffer.from(`${values.name} `), msg]), from.port, from.address));
        socket.once('error', reject);
        socket.bind({ address: vip, port: Number(values.port) }, resolve);
      }),
  ),
);
console.log('listening');
setTimeout(() => process.exit(0), Number(values.seconds) * 1000).unref();

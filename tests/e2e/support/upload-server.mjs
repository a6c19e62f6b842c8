#!/usr/bin/env node
// An HTTP sink for the MTU test, run in a backend namespace:
//   upload-server.mjs --name NAME --port P --seconds S
// Answers each POST, once its whole body has arrived, with {"backend","bytes"}.
// Full-size client segments are what an upload sends, which the testbed's
// GET-only backend server never receives. Exits by itself after S seconds.
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { name: { type: 'string' }, port: { type: 'string' }, seconds: { type: 'string' } } });
if (!values.name || !values.port || !values.seconds) {
  console.error('usage: upload-server.mjs --name NAME --port P --seconds S');
  process.exit(2);
}
const server = http.createServer((req, res) => {
  let bytes = 0;
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    const body = JSON.stringify({ backend: values.name, bytes });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen({ host: '::', port: Number(values.port) }, () => console.log('listening'));
setTimeout(() => process.exit(0), Number(values.seconds) * 1000).unref();

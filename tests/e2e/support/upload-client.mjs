#!/usr/bin/env node
// One HTTP upload for the MTU test, run in the client namespace:
//   upload-client.mjs --url URL --bytes N --timeout-ms T
// Prints one JSON object: {ok, status, answer, error, ms}. Bounded by T: a
// black-holed upload (its full-size segments vanish) ends as a timeout.
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { url: { type: 'string' }, bytes: { type: 'string' }, 'timeout-ms': { type: 'string' } } });
if (!values.url || !values.bytes || !values['timeout-ms']) {
  console.error('usage: upload-client.mjs --url URL --bytes N --timeout-ms T');
  process.exit(2);
}
const started = Date.now();
let reported = false;
const report = (result) => {
  if (reported) return;
  reported = true;
  process.stdout.write(`${JSON.stringify({ ...result, ms: Date.now() - started })}\n`, () => process.exit(0));
};
const body = Buffer.alloc(Number(values.bytes), 'x');
const req = http.request(values.url, { method: 'POST', headers: { 'content-length': body.length, connection: 'close' } });
/*
 * A reset, not a close: a closed socket would leave the kernel resending the
 * unsent upload (an orphan in FIN_WAIT1) long after this report.
 */
const timer = setTimeout(() => {
  req.socket?.resetAndDestroy();
  report({ ok: false, status: null, answer: null, error: `no answer within ${values['timeout-ms']} ms` });
}, Number(values['timeout-ms']));
req.on('error', (error) => (clearTimeout(timer), report({ ok: false, status: null, answer: null, error: error.message })));
req.on('response', (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => {
    clearTimeout(timer);
    const text = Buffer.concat(chunks).toString('utf8');
    let answer = null;
    try {
      answer = JSON.parse(text);
    } catch {}
    report({ ok: res.statusCode === 200, status: res.statusCode, answer, error: null });
  });
});
req.end(body);

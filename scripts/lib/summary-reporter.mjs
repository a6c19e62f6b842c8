// node:test reporter that ends a run with one "FAILED: …" line per failed test
// (name, file, the first line of its error) and then "N passed, M failed"
// (and ", K skipped"), counting tests, not the suites that group them.
// scripts/test.sh repeats the FAILED lines at the end of the whole run, where CI shows them.
import { relative } from 'node:path';

export default async function* summaryReporter(source) {
  let passed = 0;
  let skipped = 0;
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') continue;
    if (event.data.skip || event.data.todo) skipped++;
    else if (event.type === 'test:pass') passed++;
    else failures.push(failureLine(event.data));
  }
  for (const line of failures) yield `${line}\n`;
  yield `${passed} passed, ${failures.length} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}

/* No line number: under tsx it is the transpiled file's, not the source's. */
function failureLine({ name, file, details }) {
  const where = file ? relative(process.cwd(), file) : '?';
  const error = details?.error;
  const message = String(error?.cause?.message ?? error?.message ?? error ?? '').split('\n')[0];
  return `FAILED: ${name} (${where}): ${message.slice(0, 300)}`;
}

// Prints Playwright's JSON report as the lines every suite ends with: one "FAILED: …"
// per failed test (title, file:line, the first line of its error), then "N passed, M failed".
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { expected = 0, unexpected = 0, flaky = 0, skipped = 0 } = report.stats ?? {};

function* specs(suite, titles = []) {
  const path = suite.title ? [...titles, suite.title] : titles;
  for (const spec of suite.specs ?? []) yield { spec, path };
  for (const child of suite.suites ?? []) yield* specs(child, path);
}

for (const top of report.suites ?? []) {
  for (const { spec, path } of specs(top)) {
    for (const test of spec.tests ?? []) {
      if (test.status !== 'unexpected') continue;
      const error = test.results?.at(-1)?.error?.message ?? '';
      // Playwright's messages carry terminal colours; the recap is plain text.
      const firstLine = error
        // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the colour codes stripped here
        .replace(/\u001b\[[0-9;]*m/g, '')
        .split('\n')[0]
        .slice(0, 300);
      const title = [...path.slice(1), spec.title].join(' › ');
      console.log(`FAILED: ${title} (${spec.file}:${spec.line}): ${firstLine}`);
    }
  }
}
console.log(`${expected + flaky} passed, ${unexpected} failed${skipped ? `, ${skipped} skipped` : ''}`);

// Prints Playwright's JSON report as the line every suite ends with: "N passed, M failed".
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { expected = 0, unexpected = 0, flaky = 0, skipped = 0 } = report.stats ?? {};
console.log(`${expected + flaky} passed, ${unexpected} failed${skipped ? `, ${skipped} skipped` : ''}`);

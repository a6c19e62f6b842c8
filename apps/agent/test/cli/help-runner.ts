// Runs main() for each argument line given as JSON in argv[2], in this one
// process (a process per line costs seconds each), and prints each line's exit
// code, stdout and stderr as one JSON document after a marker.
import { main } from '../../src/cli/main.js';

const lines = JSON.parse(process.argv[2]!) as string[][];
const results: { args: string[]; code: number; stdout: string; stderr: string }[] = [];
const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
for (const args of lines) {
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    results.push({ args, code, stdout, stderr });
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}
write.out(`\n@@results@@${JSON.stringify(results)}\n`);

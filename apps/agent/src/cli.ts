/* The `sluice` command (bin/sluice.mjs runs this through tsx, or its compiled build). */
const argv = process.argv.slice(2);

/* keepalived runs `node check` every second or two: it loads its own small module, not every command (node-check.ts). */
const isNodeCheck = argv[0] === 'node' && argv[1] === 'check' && !argv.includes('--help') && !argv.includes('-h');

if (isNodeCheck) {
  const { runNodeCheck } = await import('./cli/node-check.js');
  /* Exit at once (writes to pipes and files are synchronous on Linux): keepalived waits for the process, not for its answer. */
  process.exit(await runNodeCheck(argv.slice(2)));
} else {
  const { main } = await import('./cli/main.js');
  process.exitCode = await main(argv);
}

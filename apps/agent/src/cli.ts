/* The `sluice` command (bin/sluice.mjs runs this through tsx, or its compiled build). */
const argv = process.argv.slice(2);

/* keepalived runs `node check` every second or two: it loads its own small module, not every command (node-check.ts). */
const isNodeCheck = argv[0] === 'node' && argv[1] === 'check' && !argv.includes('--help') && !argv.includes('-h');

/*
 * keepalived ends a check or hook that outlives its timeout with SIGTERM. Node's own SIGTERM handling
 * does not end the process there (measured: checks starved on a loaded node lived on, 32 at once, and
 * kept the machine loaded), so these two commands end on it themselves; keepalived then runs one again.
 */
if (argv[0] === 'node' && (argv[1] === 'check' || argv[1] === 'role')) process.on('SIGTERM', () => process.exit(143));

if (isNodeCheck) {
  const { runNodeCheck } = await import('./cli/node-check.js');
  /* Exit at once (writes to pipes and files are synchronous on Linux): keepalived waits for the process, not for its answer. */
  process.exit(await runNodeCheck(argv.slice(2)));
} else {
  const { main } = await import('./cli/main.js');
  process.exitCode = await main(argv);
}

/*
 * `sluice backend-host report [FILE|-]`, on the balancer: hands the JSON a
 * backend host's `sluice backend-host check --json` printed to the agent, so
 * the console shows each backend's preparation beside its traffic:
 *   ssh be1 sluice backend-host check --json | sluice backend-host report -
 * Validated here with the API's own schema first, so a bad file is refused
 * with its path and every problem before anything reaches the agent.
 */
import { readFileSync } from 'node:fs';
import { type BackendHostReport, backendHostReportSchema } from '@sluice/api';
import { UsageError } from '../args.js';

export function readReport(source: string): BackendHostReport {
  const where = source === '-' ? 'stdin' : source;
  let text: string;
  try {
    text = readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the report from ${where}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${where} is not JSON (${(error as Error).message}): give it what \`sluice backend-host check --json\` printed`);
  }
  const parsed = backendHostReportSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new UsageError(`${where} is not a backend-host check report; nothing was stored:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

/*
 * The charts' event markers (audit.events, the last hour) on a long audit
 * log: 300,000 entries over a month beside the same query on a log of 1,000.
 * The console asks for them with every chart refresh, so the cost must
 * follow the hour's entries, not the log's length.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '@sluice/agent/store';
import type { BenchRecord } from '../record.js';
import { median, round, spread } from '../stats.js';

const LONG_LOG = 300_000;
const SHORT_LOG = 1_000;
const HOUR_MS = 3_600_000;
/* One entry every 9 s: the long log spans a month, the last hour holds 400 entries. */
const ENTRY_EVERY_MS = 9_000;
const MARKERS = 500;

function storeWithLog(dir: string, entries: number, now: number): Store {
  const store = new Store(join(dir, `audit-${entries}.db`));
  const insert = store.db.prepare("INSERT INTO audit (at, actor, role, action, target, before, after) VALUES (?, 'sluice-agent', 'admin', ?, ?, NULL, NULL)");
  store.db.transaction(() => {
    for (let i = 0; i < entries; i++) insert.run(now - (entries - i) * ENTRY_EVERY_MS, i % 3 ? 'health.down' : 'backend.setWeight', 'web 198.19.1.2:8080');
  })();
  return store;
}

function timeEvents(store: Store, now: number, samples: number): number[] {
  const ms: number[] = [];
  for (let i = 0; i <= samples; i++) {
    const start = process.hrtime.bigint();
    store.audit.events({ since: now - HOUR_MS, limit: MARKERS }, now);
    /* The first call prepares the statement: not counted. */
    if (i > 0) ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return ms;
}

export function measureAuditEvents(samples: number): BenchRecord[] {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-audit-'));
  const now = Date.now();
  try {
    const long = storeWithLog(dir, LONG_LOG, now);
    const short = storeWithLog(dir, SHORT_LOG, now);
    const longMs = timeEvents(long, now, samples);
    const shortMs = timeEvents(short, now, samples);
    long.close();
    short.close();
    const value = median(longMs);
    const reference = median(shortMs);
    return [
      {
        section: 'control-plane',
        name: `control-plane/audit-events/last-hour-of-${LONG_LOG}-entries`,
        value: round(value),
        unit: 'ms',
        referenceName: `the same query on a log of ${SHORT_LOG} entries`,
        referenceValue: round(reference),
        ratio: round(value / reference, 3),
        runs: samples,
        spread: round(spread(longMs), 3),
        note: `store.audit.events(): the chart markers of the last hour (${HOUR_MS / ENTRY_EVERY_MS} entries) out of a month-long log, SQLite in process`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

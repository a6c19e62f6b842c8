/*
 * backendHosts.*: backend hosts' own checks (`sluice backend-host check
 * --json` on the host, handed over with `sluice backend-host report`). They
 * touch no map: a store transaction with its audit row is the whole commit.
 */
import { BACKEND_HOST_REPORT_STALE_MS, type BackendHostReportView, type SluiceBackend } from '@sluice/api';
import type { Store, StoredHostReport } from '../store/index.js';

function view(stored: StoredHostReport, now: number): BackendHostReportView {
  return {
    ...stored.report,
    reportedAt: stored.reportedAt,
    reportedBy: stored.reportedBy,
    problems: stored.report.checks.filter((c) => !c.ok).length,
    stale: now - stored.report.checkedAt > BACKEND_HOST_REPORT_STALE_MS,
  };
}

export function backendHostOperations(store: Store): SluiceBackend['backendHosts'] {
  return {
    report: (input, caller) => {
      const now = Date.now();
      const stored = store.transaction(() => {
        const { host, replaced } = store.backendHosts.record(input, caller.user, now);
        const problems = input.checks.filter((c) => !c.ok).map((c) => c.name);
        store.audit.append(
          caller,
          {
            action: 'backend-host.report',
            target: host,
            before: replaced.length ? { replaced } : null,
            after: { decap: input.host.decap, interface: input.host.interface, checkedAt: input.checkedAt, problems },
          },
          now,
        );
        return { report: input, reportedAt: now, reportedBy: caller.user };
      });
      return view(stored, now);
    },
    list: (address) => {
      const now = Date.now();
      if (address === undefined) return store.backendHosts.list().map((s) => view(s, now));
      const stored = store.backendHosts.byAddress(address);
      return stored ? [view(stored, now)] : [];
    },
  };
}

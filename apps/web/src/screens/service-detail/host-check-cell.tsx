/*
 * One backend's host check in the backends table (dsr/ipip/gue services):
 * "ok · 3 min ago", "2 problems" that opens to each problem and its fix, or
 * "not reported" with the command that reports it. A report older than the
 * agent's stale limit says so: the host may have changed since.
 */
'use client';
import type { BackendHostReportView, BackendView, ForwardingMode } from '@sluice/api';
import { ago } from '@/client/format.ts';
import { reportCommand } from '@/components/forwarding/backend-host-commands.ts';

export function HostCheckCell({
  backend,
  report,
  mode,
  vip,
}: {
  backend: BackendView;
  report: BackendHostReportView | undefined;
  mode: ForwardingMode;
  vip: string;
}) {
  if (!report)
    return (
      <details className="host-check" data-host-check="none">
        <summary className="muted">not reported</summary>
        <p className="small">On the balancer (the check runs on the backend):</p>
        <code className="command">{reportCommand(mode, vip, backend.address)}</code>
      </details>
    );
  const when = (
    <>
      {' '}
      · {ago(report.checkedAt)}
      {report.stale && <strong className="text-warn"> (stale)</strong>}
    </>
  );
  if (report.problems === 0)
    return (
      <span className="host-check text-good" data-host-check="ok">
        host check: ok{when}
      </span>
    );
  return (
    <details className="host-check" data-host-check="problems">
      <summary>
        host check:{' '}
        <span className="text-bad">
          {report.problems} problem{report.problems === 1 ? '' : 's'}
        </span>
        {when}
      </summary>
      <ul className="small">
        {report.checks
          .filter((c) => !c.ok)
          .map((c) => (
            <li key={c.name}>
              {c.name}: {c.detail}
              {c.fix && (
                <>
                  <br />
                  fix: <code className="command">{c.fix}</code>
                </>
              )}
            </li>
          ))}
      </ul>
    </details>
  );
}

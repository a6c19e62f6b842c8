/*
 * Backend hosts' check reports. One row per host, keyed by its addresses;
 * each address points at its host's row, so a backend finds its report by
 * its own address, and an address belongs to one host at a time: a new
 * report replaces every report that shares an address with it.
 */
import type { BackendHostReport } from '@sluice/api';
import type { Db } from './database.js';
import { prepared } from './statement-cache.js';

export interface StoredHostReport {
  report: BackendHostReport;
  reportedAt: number;
  reportedBy: string;
}

interface Row {
  report: string;
  reported_at: number;
  reported_by: string;
}

const hostKey = (report: BackendHostReport) => [...new Set(report.host.addresses)].sort().join(' ');
const fromRow = (row: Row): StoredHostReport => ({
  report: JSON.parse(row.report) as BackendHostReport,
  reportedAt: row.reported_at,
  reportedBy: row.reported_by,
});

export class BackendHostsRepo {
  constructor(private readonly db: Db) {}

  /** Stores report, dropping the reports it replaces; returns their host keys. Call inside a transaction. */
  record(report: BackendHostReport, reportedBy: string, now: number): { host: string; replaced: string[] } {
    const host = hostKey(report);
    const addresses = host.split(' ');
    const replaced = new Set<string>();
    for (const address of addresses) {
      const row = prepared(this.db, 'SELECT host FROM backend_host_addresses WHERE address = ?').get(address) as { host: string } | undefined;
      if (row) replaced.add(row.host);
    }
    replaced.add(host);
    for (const old of replaced) prepared(this.db, 'DELETE FROM backend_host_reports WHERE host = ?').run(old);
    prepared(this.db, 'INSERT INTO backend_host_reports (host, report, checked_at, reported_at, reported_by) VALUES (?, ?, ?, ?, ?)').run(
      host,
      JSON.stringify(report),
      report.checkedAt,
      now,
      reportedBy,
    );
    for (const address of addresses) prepared(this.db, 'INSERT INTO backend_host_addresses (address, host) VALUES (?, ?)').run(address, host);
    replaced.delete(host);
    return { host, replaced: [...replaced] };
  }

  list(): StoredHostReport[] {
    return (prepared(this.db, 'SELECT report, reported_at, reported_by FROM backend_host_reports ORDER BY checked_at DESC, host').all() as Row[]).map(fromRow);
  }

  byAddress(address: string): StoredHostReport | undefined {
    const row = prepared(
      this.db,
      'SELECT r.report, r.reported_at, r.reported_by FROM backend_host_addresses a JOIN backend_host_reports r ON r.host = a.host WHERE a.address = ?',
    ).get(address) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }
}

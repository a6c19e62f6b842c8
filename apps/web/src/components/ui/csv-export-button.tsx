/*
 * "Export CSV" for a table: downloads exactly the rows of its current
 * filter, every page of it (the rows function fetches them all), and says
 * how many rows went into the file.
 */
'use client';
import { useState } from 'react';
import { type CsvColumn, toCsv } from '@/client/csv.ts';
import { download } from '@/client/download.ts';
import { errorText } from '@/client/error-text.ts';

export interface CsvRows<Row> {
  rows: Row[];
  /** Pages fetched; absent for a table the page holds whole. */
  pages?: number;
  /** False when the export stopped at its page bound before the last page. */
  complete?: boolean;
}

export function CsvExportButton<Row>(props: { fileName: string; columns: CsvColumn<Row>[]; rows: () => Promise<CsvRows<Row>> | CsvRows<Row>; label?: string }) {
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setStatus(null);
    try {
      const { rows, pages, complete = true } = await props.rows();
      download(props.fileName, 'text/csv;charset=utf-8', toCsv(props.columns, rows));
      const pageText = pages === undefined ? '' : ` from ${pages} page${pages === 1 ? '' : 's'}`;
      setStatus({
        ok: complete,
        text: `${props.fileName}: ${rows.length} row${rows.length === 1 ? '' : 's'}${pageText}${complete ? ', all that match' : ', stopped at the export limit: narrow the filter for the rest'}.`,
      });
    } catch (error) {
      setStatus({ ok: false, text: `Export failed: ${errorText(error)}` });
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="csv-export">
      <button type="button" className="button button-small" onClick={run} disabled={busy}>
        {busy ? 'Exporting…' : (props.label ?? 'Export CSV')}
      </button>
      {status && (
        <span className={status.ok ? 'muted' : 'text-warn'} role="status" data-testid="csv-status">
          {status.text}
        </span>
      )}
    </span>
  );
}

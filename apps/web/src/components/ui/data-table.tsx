/*
 * A table of rows under column headers, or an empty state when there are no
 * rows. Header cells carry scope="col" and the naming column scope="row", so
 * a screen reader announces each cell with its column and its row.
 */
import type { HTMLAttributes, ReactNode, TdHTMLAttributes } from 'react';

/* data-* attributes are what the tests and screenshots find rows and cells by. */
type DataAttributes = { [name: `data-${string}`]: string | number | boolean | undefined };

export interface Column<Row> {
  /** What the header says; a column without visible words (row actions) gives a screen-reader-only label. */
  header: ReactNode;
  /** On the header and every cell: 'num' right-aligns figures, 'select' narrows a checkbox column. */
  className?: string;
  /** On the cells only: 'mono' for addresses, 'actions' for row buttons. */
  cellClassName?: string;
  /** This column names the row: its cells are row headers. */
  rowHeader?: boolean;
  cell(row: Row): ReactNode;
  /** Extra attributes on this column's cell in a row (a title, a test id). */
  cellProps?(row: Row): TdHTMLAttributes<HTMLTableCellElement> & DataAttributes;
}

export interface DataTableProps<Row> {
  columns: Column<Row>[];
  rows: readonly Row[];
  rowKey(row: Row): string;
  /** Extra attributes on a row (data-* for tests, aria-selected). */
  rowProps?(row: Row): HTMLAttributes<HTMLTableRowElement> & DataAttributes;
  /** Shown instead of the table when there are no rows. */
  empty: ReactNode;
  compact?: boolean;
  testId?: string;
  /** The rows are being fetched afresh. */
  busy?: boolean;
  /** On a phone-wide screen each row becomes a card of label: value lines, so no column is off-screen. */
  cardsOnPhone?: boolean;
}

export function DataTable<Row>({ columns, rows, rowKey, rowProps, empty, compact, testId, busy, cardsOnPhone }: DataTableProps<Row>) {
  if (rows.length === 0) return <>{empty}</>;
  return (
    <div className="table-wrap">
      <table className={classes('table', compact && 'table-compact', cardsOnPhone && 'table-cards')} data-testid={testId} aria-busy={busy}>
        <thead>
          <tr>
            {columns.map((column, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a table's columns are a fixed list that never reorders
              <th key={i} scope="col" className={column.className}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} {...rowProps?.(row)}>
              {columns.map((column, i) => {
                const Cell = column.rowHeader ? 'th' : 'td';
                /* data-label: the column's name, which a phone-wide card shows beside the value. */
                const label = typeof column.header === 'string' ? column.header : undefined;
                const { className, ...props } = { 'data-label': label, ...column.cellProps?.(row) };
                return (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a table's columns are a fixed list that never reorders
                  <Cell key={i} scope={column.rowHeader ? 'row' : undefined} className={classes(column.className, column.cellClassName, className)} {...props}>
                    {column.cell(row)}
                  </Cell>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const classes = (...names: (string | false | undefined)[]) => names.filter(Boolean).join(' ') || undefined;

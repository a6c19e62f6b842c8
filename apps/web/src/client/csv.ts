/*
 * Tables as CSV (RFC 4180): fields joined by commas, records by CRLF; a
 * field holding a comma, a double quote, a line break or leading/trailing
 * space is quoted, its quotes doubled. Values are written as they are (no
 * formatting, no units), so a spreadsheet or a script reads the data itself.
 */

export type CsvValue = string | number | boolean | null | undefined;

export interface CsvColumn<Row> {
  header: string;
  value(row: Row): CsvValue;
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv<Row>(columns: CsvColumn<Row>[], rows: readonly Row[]): string {
  const lines = [columns.map((c) => csvField(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(c.value(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/*
 * Every page of a cursor-paged list, in order. Bounded: at most maxPages
 * requests, so a table that never ends (or a bug in paging) cannot keep the
 * browser asking; `complete` says whether the last page was reached.
 */
export async function allPages<Item>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: Item[]; nextCursor: string | null }>,
  maxPages: number,
): Promise<{ items: Item[]; pages: number; complete: boolean }> {
  const items: Item[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages <= maxPages; pages++) {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    if (!page.nextCursor) return { items, pages, complete: true };
    cursor = page.nextCursor;
  }
  return { items, pages: maxPages, complete: false };
}

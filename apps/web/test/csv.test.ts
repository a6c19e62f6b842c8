// CSV quoting (RFC 4180) and the bounded walk over every page of a cursor-paged list.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allPages, csvField, toCsv } from '../src/client/csv.ts';

test('fields that need it are quoted, quotes doubled; others are written as they are', () => {
  assert.equal(csvField('198.18.100.1:80/tcp'), '198.18.100.1:80/tcp');
  assert.equal(csvField(42), '42');
  assert.equal(csvField(false), 'false');
  assert.equal(csvField(null), '');
  assert.equal(csvField(undefined), '');
  assert.equal(csvField(''), '');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('"'), '""""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('cr\rlf'), '"cr\rlf"');
  assert.equal(csvField(' padded'), '" padded"');
  assert.equal(csvField('padded '), '"padded "');
  assert.equal(csvField('[2001:db8::1]:53/udp'), '[2001:db8::1]:53/udp');
});

test('a table: header first, one record per row, CRLF after each, the same column count on every line', () => {
  const rows = [
    { name: 'web', note: 'weight 1 -> 3, "drained"' },
    { name: 'dns', note: null },
  ];
  const csv = toCsv(
    [
      { header: 'Service', value: (r: (typeof rows)[number]) => r.name },
      { header: 'Change, in words', value: (r: (typeof rows)[number]) => r.note },
    ],
    rows,
  );
  assert.equal(csv, 'Service,"Change, in words"\r\nweb,"weight 1 -> 3, ""drained"""\r\ndns,\r\n');
});

test('allPages follows the cursors to the last page, in order, and stops at its bound', async () => {
  const data = Array.from({ length: 7 }, (_, i) => i);
  const asked: (string | undefined)[] = [];
  const fetchPage = async (cursor: string | undefined) => {
    asked.push(cursor);
    const start = Number(cursor ?? 0);
    return { items: data.slice(start, start + 3), nextCursor: start + 3 < data.length ? String(start + 3) : null };
  };
  assert.deepEqual(await allPages(fetchPage, 10), { items: data, pages: 3, complete: true });
  assert.deepEqual(asked, [undefined, '3', '6']);
  assert.deepEqual(await allPages(fetchPage, 2), { items: [0, 1, 2, 3, 4, 5], pages: 2, complete: false });
});

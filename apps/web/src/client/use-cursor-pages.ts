/*
 * Cursor paging in the browser: the cursors of the pages seen so far, so
 * "previous" asks for a page it knows how to fetch. Another filter (a new
 * `filterKey`, e.g. the URL's filter object) starts again from the first page.
 */
'use client';
import { useState } from 'react';

export interface CursorPages {
  /** The cursor that fetches the current page (undefined: the first). */
  cursor: string | undefined;
  /** 0 for the first page. */
  page: number;
  next(cursor: string): void;
  previous(): void;
  /** Back to the first page, also when the filter did not change (it was applied again). */
  restart(): void;
}

export function useCursorPages(filterKey: unknown): CursorPages {
  const [state, setState] = useState<{ key: unknown; cursors: (string | undefined)[] }>({ key: filterKey, cursors: [undefined] });
  const cursors = state.key === filterKey ? state.cursors : [undefined];
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length - 1,
    next: (cursor) => setState({ key: filterKey, cursors: [...cursors, cursor] }),
    previous: () => setState({ key: filterKey, cursors: cursors.slice(0, -1) }),
    /* A key no filter equals: the next render starts from the first page. */
    restart: () => setState({ key: {}, cursors: [undefined] }),
  };
}

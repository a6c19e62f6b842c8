/* The last change's outcome on a page: a success line, or the agent's refusal in words. */
'use client';
import { useCallback, useState } from 'react';
import { errorText } from './error-text.ts';

export type NoticeValue = { kind: 'ok' | 'error'; text: string } | null;

export function useNotice() {
  const [notice, setNotice] = useState<NoticeValue>(null);
  const ok = useCallback((text: string) => setNotice({ kind: 'ok', text }), []);
  const fail = useCallback((error: unknown) => setNotice({ kind: 'error', text: errorText(error) }), []);
  const clear = useCallback(() => setNotice(null), []);
  return { notice, ok, fail, clear };
}

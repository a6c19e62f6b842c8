/*
 * The last change's outcome on a page: a success line, or the agent's refusal
 * in words. On a page that changes the desired state (fleetChanges), a node
 * of a fleet (issue 16) adds "converged N of M at revision R" to the success
 * line once every node holds the change, or after CONVERGE_WAIT_MS how far it got.
 */
'use client';
import { CONVERGE_WAIT_MS, convergenceAfterChange } from '@sluice/api';
import { useCallback, useRef, useState } from 'react';
import { api } from './api-client.ts';
import { errorText } from './error-text.ts';

export type NoticeValue = { kind: 'ok' | 'error'; text: string } | null;

const POLL_MS = 100;

export function useNotice(options: { fleetChanges?: boolean } = {}) {
  const [notice, setNotice] = useState<NoticeValue>(null);
  /* A newer notice wins over a convergence line still being waited for. */
  const latest = useRef(0);
  const fleetChanges = options.fleetChanges ?? false;
  const ok = useCallback(
    (text: string) => {
      const id = ++latest.current;
      setNotice({ kind: 'ok', text });
      if (fleetChanges) void addConvergence((line) => id === latest.current && setNotice({ kind: 'ok', text: `${text} — ${line}` }));
    },
    [fleetChanges],
  );
  const fail = useCallback((error: unknown) => {
    latest.current++;
    setNotice({ kind: 'error', text: errorText(error) });
  }, []);
  const clear = useCallback(() => {
    latest.current++;
    setNotice(null);
  }, []);
  return { notice, ok, fail, clear };
}

/** Waits for the fleet to hold the change (the node answered once it applied it itself); nothing for a node with its own state. */
async function addConvergence(show: (line: string) => void): Promise<void> {
  try {
    const started = Date.now();
    let fleet = (await api.node.status.query()).fleet;
    if (!fleet) return;
    while (fleet.revision !== null && fleet.converged < fleet.nodes.length && Date.now() - started < CONVERGE_WAIT_MS) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      fleet = (await api.node.status.query()).fleet;
      if (!fleet) return;
    }
    show(convergenceAfterChange(fleet, Date.now() - started));
  } catch {
    /* The change went through; the line is only added when it can be read. */
  }
}

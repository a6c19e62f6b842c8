/*
 * Drain one or more backends, with an optional timeout: like
 * `sluice backend drain … --drain-timeout`. Draining takes no new
 * connections and lets the open ones finish; when the timeout passes, the
 * agent cuts what is left. Maintenance, in contrast, takes no new
 * connections and is for work on a backend whose open connections are
 * already gone (or may be cut).
 */
'use client';
import { MAX_DRAIN_TIMEOUT_MS } from '@sluice/api';
import { useEffect, useState } from 'react';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { InputField } from '@/components/ui/form-field.tsx';

/** The one line that tells drain and maintenance apart, on the page and in the dialog. */
export const DRAIN_VS_MAINTENANCE =
  'Drain: no new connections, open ones finish (cut after the timeout, if you set one). Maintenance: no new connections either, for a backend taken out for work; use it once drained.';

const MAX_TIMEOUT_S = MAX_DRAIN_TIMEOUT_MS / 1000;

export function DrainDialog(props: { endpoints: string[]; busy: boolean; onCancel(): void; onConfirm(drainTimeoutMs: number | undefined): void }) {
  const [seconds, setSeconds] = useState('');
  const open = props.endpoints.length > 0;
  useEffect(() => {
    if (open) setSeconds('');
  }, [open]);
  const value = Number(seconds);
  const valid = seconds.trim() === '' || (Number.isInteger(value) && value >= 1 && value <= MAX_TIMEOUT_S);
  const what = props.endpoints.length === 1 ? props.endpoints[0] : `${props.endpoints.length} backends`;
  return (
    <ConfirmDialog
      open={open}
      title={`Drain ${what ?? ''}?`}
      confirmLabel="Drain"
      busy={props.busy}
      confirmDisabled={!valid}
      onCancel={props.onCancel}
      onConfirm={() => props.onConfirm(seconds.trim() === '' ? undefined : value * 1000)}
    >
      <p>{DRAIN_VS_MAINTENANCE}</p>
      <InputField
        label="Cut the connections still open after (seconds; empty: wait as long as they last)"
        type="number"
        min={1}
        max={MAX_TIMEOUT_S}
        value={seconds}
        onChange={(e) => setSeconds(e.target.value)}
        aria-invalid={!valid}
      />
      {!valid && <p className="text-warn">A whole number of seconds from 1 to {MAX_TIMEOUT_S}, or empty for no timeout.</p>}
    </ConfirmDialog>
  );
}

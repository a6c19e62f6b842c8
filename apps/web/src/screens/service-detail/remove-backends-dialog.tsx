/*
 * Confirm removing one or more backends. While they carry connections the
 * agent refuses unless forced, so the dialog says how many would be cut and
 * asks for force explicitly.
 */
'use client';
import type { BackendView } from '@sluice/api';
import { useEffect, useState } from 'react';
import { errorText } from '@/client/error-text.ts';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';

export function RemoveBackendsDialog(props: { backends: BackendView[]; busy: boolean; error: unknown; onConfirm(force: boolean): void; onCancel(): void }) {
  const [force, setForce] = useState(false);
  const open = props.backends.length > 0;
  // biome-ignore lint/correctness/useExhaustiveDependencies: force is cleared each time the dialog opens or closes
  useEffect(() => setForce(false), [open]);
  const active = props.backends.reduce((n, b) => n + b.activeFlows, 0);
  const names = props.backends.map((b) => b.endpoint).join(', ');
  return (
    <ConfirmDialog
      open={open}
      title={props.backends.length === 1 ? `Remove ${names}?` : `Remove ${props.backends.length} backends?`}
      confirmLabel={force ? 'Remove and end connections' : 'Remove'}
      danger
      busy={props.busy}
      confirmDisabled={active > 0 && !force}
      onCancel={props.onCancel}
      onConfirm={() => props.onConfirm(force)}
    >
      {props.backends.length > 1 && <p className="mono">{names}</p>}
      {active > 0 ? (
        <>
          <p>
            {active} active connection{active === 1 ? '' : 's'} still use{active === 1 ? 's' : ''}{' '}
            {props.backends.length === 1 ? 'this backend' : 'these backends'}. Drain first and wait for zero, or force the removal: those connections are cut.
          </p>
          <label className="checkbox">
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
            Force: end the {active} connection{active === 1 ? '' : 's'}
          </label>
        </>
      ) : (
        <p>No open connection uses {props.backends.length === 1 ? 'it' : 'them'}; nothing is cut.</p>
      )}
      {props.error ? (
        <p className="alert alert-error" role="alert">
          {errorText(props.error)}
        </p>
      ) : null}
    </ConfirmDialog>
  );
}

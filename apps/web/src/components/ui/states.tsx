/* Loading, empty and error states: designed, never a blank area. */
'use client';
import type { ReactNode } from 'react';
import { errorText } from '@/client/error-text.ts';

export function LoadingState({ label }: { label: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children && <div className="state-body">{children}</div>}
    </div>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="alert alert-error" role="alert">
      <span>{errorText(error)}</span>
      {retry && (
        <button type="button" className="button button-small" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** The outcome of the last change, announced to screen readers. */
export function Notice({ notice, onDismiss }: { notice: { kind: 'ok' | 'error'; text: string } | null; onDismiss: () => void }) {
  if (!notice) return null;
  return (
    <div className={`alert ${notice.kind === 'ok' ? 'alert-ok' : 'alert-error'}`} role={notice.kind === 'ok' ? 'status' : 'alert'} data-testid="notice">
      <span>{notice.text}</span>
      <button type="button" className="button button-small button-quiet" onClick={onDismiss} aria-label="Dismiss message">
        ×
      </button>
    </div>
  );
}

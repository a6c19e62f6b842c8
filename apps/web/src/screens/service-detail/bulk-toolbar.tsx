/* One change to every selected backend, all or nothing (backends.bulk). */
'use client';
import { MAX_WEIGHT, type AdminState } from '@sluice/api';
import { useState } from 'react';

export function BulkToolbar(props: {
  selected: number;
  busy: boolean;
  onState(state: AdminState): void;
  onWeight(weight: number): void;
  onRemove(): void;
  onClear(): void;
}) {
  const [weight, setWeight] = useState('1');
  const value = Number(weight);
  const validWeight = Number.isInteger(value) && value >= 1 && value <= MAX_WEIGHT;
  if (props.selected === 0) return null;
  return (
    <div className="bulk-bar" role="toolbar" aria-label="Bulk actions on selected backends">
      <strong>{props.selected} selected</strong>
      <button type="button" className="button button-small" disabled={props.busy} onClick={() => props.onState('ready')}>
        Ready
      </button>
      <button type="button" className="button button-small" disabled={props.busy} onClick={() => props.onState('drain')}>
        Drain
      </button>
      <button type="button" className="button button-small" disabled={props.busy} onClick={() => props.onState('maint')}>
        Maintenance
      </button>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (validWeight) props.onWeight(value);
        }}
      >
        <input
          type="number"
          min={1}
          max={MAX_WEIGHT}
          value={weight}
          onChange={(e) => setWeight(e.target.value)}
          aria-label="Weight for selected backends"
          className="input-weight"
        />
        <button type="submit" className="button button-small" disabled={props.busy || !validWeight}>
          Set weight
        </button>
      </form>
      <button type="button" className="button button-small button-danger-quiet" disabled={props.busy} onClick={props.onRemove}>
        Remove…
      </button>
      <button type="button" className="button button-small button-quiet" onClick={props.onClear}>
        Clear selection
      </button>
    </div>
  );
}

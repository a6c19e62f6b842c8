/* A backend's weight, editable in place (Enter or Save); viewers see the number only. */
'use client';
import { MAX_WEIGHT } from '@sluice/api';
import { useEffect, useState } from 'react';

export function WeightEditor({
  endpoint,
  weight,
  editable,
  busy,
  onSave,
}: {
  endpoint: string;
  weight: number;
  editable: boolean;
  busy: boolean;
  onSave(weight: number): void;
}) {
  const [draft, setDraft] = useState(String(weight));
  useEffect(() => setDraft(String(weight)), [weight]);
  if (!editable) return <span>{weight}</span>;
  const value = Number(draft);
  const valid = Number.isInteger(value) && value >= 1 && value <= MAX_WEIGHT;
  const changed = valid && value !== weight;
  return (
    <form
      className="weight-editor"
      onSubmit={(event) => {
        event.preventDefault();
        if (changed) onSave(value);
      }}
    >
      <input
        type="number"
        min={1}
        max={MAX_WEIGHT}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        aria-label={`Weight of ${endpoint}`}
        aria-invalid={!valid}
        className="input-weight"
      />
      {changed && (
        <button type="submit" className="button button-small" disabled={busy}>
          Save<span className="sr-only"> weight of {endpoint}</span>
        </button>
      )}
    </form>
  );
}

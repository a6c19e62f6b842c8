/* Add a backend (operator): address, port, weight, initial state. Checked here for quick feedback; the agent checks again. */
'use client';
import { ADMIN_STATES, type AdminState, MAX_WEIGHT, addressFamily } from '@sluice/api';
import { type FormEvent, useState } from 'react';

export interface NewBackend {
  address: string;
  port: number;
  weight: number;
  state: AdminState;
}

export function AddBackendForm({ serviceAddress, busy, onAdd }: { serviceAddress: string; busy: boolean; onAdd(backend: NewBackend): void }) {
  const [problem, setProblem] = useState<string | null>(null);
  const family = addressFamily(serviceAddress);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const address = String(form.get('address') ?? '').trim();
    const port = Number(form.get('port'));
    const weight = Number(form.get('weight'));
    const addressFamilyOf = addressFamily(address);
    if (addressFamilyOf === null) return setProblem(`"${address}" is not an IPv4 or IPv6 address.`);
    if (addressFamilyOf !== family) return setProblem(`The service is IPv${family}; the backend must be too (${address} is IPv${addressFamilyOf}).`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return setProblem('The port must be a whole number from 1 to 65535.');
    if (!Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT) return setProblem(`The weight must be a whole number from 1 to ${MAX_WEIGHT}.`);
    setProblem(null);
    onAdd({ address, port, weight, state: form.get('state') as AdminState });
    event.currentTarget.reset();
  };
  return (
    <form className="form-grid form-grid-compact" onSubmit={submit} aria-labelledby="add-backend-title">
      <h3 id="add-backend-title" className="form-title">
        Add a backend
      </h3>
      <label className="field">
        <span>Address</span>
        <input name="address" placeholder={family === 6 ? '2001:db8:1:1::2' : '198.19.1.2'} required />
      </label>
      <label className="field field-narrow">
        <span>Port</span>
        <input name="port" type="number" min={1} max={65535} required />
      </label>
      <label className="field field-narrow">
        <span>Weight</span>
        <input name="weight" type="number" min={1} max={MAX_WEIGHT} defaultValue={1} required />
      </label>
      <label className="field field-narrow">
        <span>State</span>
        <select name="state" defaultValue="ready">
          {ADMIN_STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add backend'}
        </button>
      </div>
      {problem && (
        <p className="alert alert-error form-wide" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}

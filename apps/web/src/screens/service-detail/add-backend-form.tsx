/* Add a backend (operator): address, port, weight, initial state. Checked here for quick feedback; the agent checks again. */
'use client';
import { ADMIN_STATES, type AdminState, MAX_WEIGHT, addressFamily } from '@sluice/api';
import { type FormEvent, useState } from 'react';
import { FormProblem, FormSubmit, InputField, SelectField } from '@/components/ui/form-field.tsx';

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
      <InputField label="Address" name="address" placeholder={family === 6 ? '2001:db8:1:1::2' : '198.19.1.2'} required />
      <InputField label="Port" width="narrow" name="port" type="number" min={1} max={65535} required />
      <InputField label="Weight" width="narrow" name="weight" type="number" min={1} max={MAX_WEIGHT} defaultValue={1} required />
      <SelectField label="State" width="narrow" name="state" defaultValue="ready" options={ADMIN_STATES} />
      <FormSubmit label="Add backend" busyLabel="Adding…" busy={busy} />
      <FormProblem problem={problem} />
    </form>
  );
}

/* Filters for the connection table; applied on the agent, so they stay fast on a million flows. */
'use client';
import { FLOW_STATES, PROTOCOLS, addressFamily, parseEndpoint, type ServiceView } from '@sluice/api';
import { type FormEvent, useState } from 'react';

export interface ConnectionFilter {
  service?: string;
  backend?: string;
  client?: string;
  protocol?: (typeof PROTOCOLS)[number];
  state?: (typeof FLOW_STATES)[number];
  limit: number;
}

export const PAGE_SIZES = [25, 100, 500, 1000];

export function ConnectionFilters({ services, value, onApply }: { services: ServiceView[]; value: ConnectionFilter; onApply(filter: ConnectionFilter): void }) {
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim() || undefined;
    const client = text('client');
    const backend = text('backend');
    if (client && addressFamily(client) === null) return setProblem(`Client "${client}" is not an IPv4 or IPv6 address.`);
    if (backend) {
      const parsed = parseEndpoint(backend);
      if (typeof parsed === 'string') return setProblem(`Backend: ${parsed}.`);
    }
    setProblem(null);
    onApply({
      service: text('service'),
      backend,
      client,
      protocol: text('protocol') as ConnectionFilter['protocol'],
      state: text('state') as ConnectionFilter['state'],
      limit: Number(form.get('limit')),
    });
  };
  return (
    <form className="card form-grid form-grid-compact" onSubmit={submit} aria-label="Connection filters">
      <label className="field">
        <span>Service</span>
        <select name="service" defaultValue={value.service ?? ''}>
          <option value="">any</option>
          {services.map((s) => (
            <option key={s.name} value={s.name}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Backend</span>
        <input name="backend" defaultValue={value.backend ?? ''} placeholder="198.19.1.2:8080" />
      </label>
      <label className="field">
        <span>Client address</span>
        <input name="client" defaultValue={value.client ?? ''} placeholder="198.18.0.2" />
      </label>
      <label className="field field-narrow">
        <span>Protocol</span>
        <select name="protocol" defaultValue={value.protocol ?? ''}>
          <option value="">any</option>
          {PROTOCOLS.map((p) => (
            <option key={p} value={p}>
              {p.toUpperCase()}
            </option>
          ))}
        </select>
      </label>
      <label className="field field-narrow">
        <span>State</span>
        <select name="state" defaultValue={value.state ?? ''}>
          <option value="">any</option>
          {FLOW_STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label className="field field-narrow">
        <span>Rows per page</span>
        <select name="limit" defaultValue={String(value.limit)}>
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <div className="form-actions">
        <button type="submit" className="button button-primary">
          Apply filters
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

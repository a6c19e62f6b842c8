/* Filters for the connection table; applied on the agent, so they stay fast on a million flows. */
'use client';
import { FLOW_STATES, PROTOCOLS, addressFamily, parseEndpoint, type ServiceView } from '@sluice/api';
import { type FormEvent, useState } from 'react';
import type { UrlFilter } from '@/client/use-url-filter.ts';
import { FormProblem, FormSubmit, InputField, SelectField } from '@/components/ui/form-field.tsx';

export interface ConnectionFilter {
  service?: string;
  backend?: string;
  client?: string;
  protocol?: (typeof PROTOCOLS)[number];
  state?: (typeof FLOW_STATES)[number];
  hideClosed?: boolean;
  limit: number;
}

export const PAGE_SIZES = [25, 100, 500, 1000];
const DEFAULT_PAGE_SIZE = 100;

/* The URL's words for the filter: ?service=web&backend=…&client=…&protocol=udp&state=closed&hide-closed=1&rows=500 */
export const CONNECTION_FILTER_PARAMS = ['service', 'backend', 'client', 'protocol', 'state', 'hide-closed', 'rows'] as const;
type FilterParams = UrlFilter<(typeof CONNECTION_FILTER_PARAMS)[number]>;

/** The filter a link names. A value the agent would refuse goes to it as is, so the page shows its reason. */
export function connectionFilterOf(params: FilterParams): ConnectionFilter {
  const rows = Number(params.rows);
  return {
    service: params.service,
    backend: params.backend,
    client: params.client,
    protocol: params.protocol as ConnectionFilter['protocol'],
    state: params.state as ConnectionFilter['state'],
    hideClosed: params['hide-closed'] === '1' || undefined,
    limit: PAGE_SIZES.includes(rows) ? rows : DEFAULT_PAGE_SIZE,
  };
}

export function paramsOfConnectionFilter(filter: ConnectionFilter): FilterParams {
  return {
    service: filter.service,
    backend: filter.backend,
    client: filter.client,
    protocol: filter.protocol,
    state: filter.state,
    'hide-closed': filter.hideClosed ? '1' : undefined,
    rows: filter.limit === DEFAULT_PAGE_SIZE ? undefined : String(filter.limit),
  };
}

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
      hideClosed: form.get('hideClosed') === 'on' || undefined,
      limit: Number(form.get('limit')),
    });
  };
  return (
    <form className="card form-grid form-grid-compact" onSubmit={submit} aria-label="Connection filters">
      <SelectField label="Service" name="service" defaultValue={value.service ?? ''} anyLabel="any" options={services.map((s) => s.name)} />
      <InputField label="Backend" name="backend" defaultValue={value.backend ?? ''} placeholder="198.19.1.2:8080" />
      <InputField label="Client address" name="client" defaultValue={value.client ?? ''} placeholder="198.18.0.2" />
      <SelectField
        label="Protocol"
        width="narrow"
        name="protocol"
        defaultValue={value.protocol ?? ''}
        anyLabel="any"
        options={PROTOCOLS}
        optionLabel={(p) => p.toUpperCase()}
      />
      <SelectField label="State" width="narrow" name="state" defaultValue={value.state ?? ''} anyLabel="any" options={FLOW_STATES} />
      <SelectField label="Rows per page" width="narrow" name="limit" defaultValue={String(value.limit)} options={PAGE_SIZES} />
      <label className="checkbox">
        <input type="checkbox" name="hideClosed" defaultChecked={value.hideClosed ?? false} />
        Hide closed
      </label>
      <FormSubmit label="Apply filters" />
      <FormProblem problem={problem} />
    </form>
  );
}

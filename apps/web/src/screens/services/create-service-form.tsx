/* Create a service (admin): VIP, port, protocol, algorithm, health check. The agent validates again. */
'use client';
import { ALGORITHMS, type Algorithm, HEALTH_CHECK_TYPES, type HealthCheckType, PROTOCOLS, type Protocol, addressFamily } from '@sluice/api';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '@/client/api-client.ts';
import { errorText } from '@/client/error-text.ts';

export function CreateServiceForm({ onCreated }: { onCreated(name: string): void }) {
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (input: Parameters<typeof api.services.create.mutate>[0]) => api.services.create.mutate(input),
    onSuccess: (service) => {
      void queryClient.invalidateQueries({ queryKey: ['services.list'] });
      onCreated(service.name);
    },
    onError: (error) => setProblem(errorText(error)),
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const address = String(form.get('address') ?? '').trim();
    const port = Number(form.get('port'));
    if (addressFamily(address) === null) return setProblem(`"${address}" is not an IPv4 or IPv6 address.`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return setProblem('The port must be a whole number from 1 to 65535.');
    const checkType = form.get('check') as HealthCheckType;
    setProblem(null);
    create.mutate({
      address,
      port,
      protocol: form.get('protocol') as Protocol,
      algorithm: form.get('algorithm') as Algorithm,
      healthCheck: { type: checkType },
    });
  };

  return (
    <form className="card form-grid" onSubmit={submit} aria-labelledby="create-service-title">
      <h2 id="create-service-title" className="form-title">
        New service
      </h2>
      <label className="field">
        <span>VIP address</span>
        <input name="address" placeholder="198.18.100.1" required />
      </label>
      <label className="field field-narrow">
        <span>Port</span>
        <input name="port" type="number" min={1} max={65535} required />
      </label>
      <label className="field field-narrow">
        <span>Protocol</span>
        <select name="protocol" defaultValue="tcp">
          {PROTOCOLS.map((p) => (
            <option key={p} value={p}>
              {p.toUpperCase()}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Algorithm</span>
        <select name="algorithm" defaultValue="round-robin">
          {ALGORITHMS.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
      </label>
      <label className="field field-narrow">
        <span>Health check</span>
        <select name="check" defaultValue="tcp">
          {HEALTH_CHECK_TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create'}
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

/* Create a service (admin): VIP, port, protocol, algorithm, forwarding mode, client rate limit, health check. The agent validates again. */
'use client';
import {
  ALGORITHMS,
  type Algorithm,
  FORWARDING_MODES,
  type ForwardingMode,
  HEALTH_CHECK_TYPES,
  type HealthCheckType,
  MAX_CLIENT_RATE,
  PROTOCOLS,
  type Protocol,
  addressFamily,
} from '@sluice/api';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '@/client/api-client.ts';
import { errorText } from '@/client/error-text.ts';
import { MODE_HELP, MODE_LABEL } from '@/components/forwarding/mode-help.ts';
import { FormProblem, FormSubmit, InputField, SelectField } from '@/components/ui/form-field.tsx';

export function CreateServiceForm({ onCreated }: { onCreated(name: string): void }) {
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<string | null>(null);
  const [mode, setMode] = useState<ForwardingMode>('nat');
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
    const clientRate = Number(form.get('clientRate') || 0);
    if (!Number.isInteger(clientRate) || clientRate < 0 || clientRate > MAX_CLIENT_RATE)
      return setProblem(`The client rate limit must be a whole number from 0 (no limit) to ${MAX_CLIENT_RATE} new connections per second.`);
    const checkType = form.get('check') as HealthCheckType;
    setProblem(null);
    create.mutate({
      address,
      port,
      protocol: form.get('protocol') as Protocol,
      algorithm: form.get('algorithm') as Algorithm,
      mode,
      clientRate,
      healthCheck: { type: checkType },
    });
  };

  return (
    <form className="card form-grid" onSubmit={submit} aria-labelledby="create-service-title">
      <h2 id="create-service-title" className="form-title">
        New service
      </h2>
      <InputField label="VIP address" name="address" placeholder="198.18.100.1" required />
      <InputField label="Port" width="narrow" name="port" type="number" min={1} max={65535} required />
      <SelectField label="Protocol" width="narrow" name="protocol" defaultValue="tcp" options={PROTOCOLS} optionLabel={(p) => p.toUpperCase()} />
      <SelectField label="Algorithm" name="algorithm" defaultValue="round-robin" options={ALGORITHMS} />
      <SelectField
        label="Forwarding mode"
        width="narrow"
        name="mode"
        value={mode}
        onChange={(e) => setMode(e.target.value as ForwardingMode)}
        aria-describedby="create-mode-help"
        options={FORWARDING_MODES}
        optionLabel={(m) => MODE_LABEL[m]}
      />
      <InputField label="Client rate limit (per s, 0: none)" width="narrow" name="clientRate" type="number" min={0} max={MAX_CLIENT_RATE} defaultValue={0} />
      <SelectField label="Health check" width="narrow" name="check" defaultValue="tcp" options={HEALTH_CHECK_TYPES} />
      <p id="create-mode-help" className="muted" data-testid="mode-help">
        {MODE_LABEL[mode]}: {MODE_HELP[mode]}
      </p>
      <FormSubmit label="Create" busyLabel="Creating…" busy={create.isPending} />
      <FormProblem problem={problem} />
    </form>
  );
}

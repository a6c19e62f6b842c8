/* A service's limit of new connections per client address per second (admin); 0 turns it off. */
'use client';
import { MAX_CLIENT_RATE } from '@sluice/api';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from '@/client/api-client.ts';
import { InputField } from '@/components/ui/form-field.tsx';

/** "none", or "20 new connections per client per second". */
export const clientRateText = (rate: number) => (rate === 0 ? 'none' : `${rate} new connections per client per second`);

export function ClientRateEditor(props: { service: string; current: number; onChanged(): void; notify: { ok(t: string): void; fail(e: unknown): void } }) {
  const [draft, setDraft] = useState(String(props.current));
  useEffect(() => setDraft(String(props.current)), [props.current]);
  const value = Number(draft);
  const valid = draft.trim() !== '' && Number.isInteger(value) && value >= 0 && value <= MAX_CLIENT_RATE;
  const update = useMutation({
    mutationFn: (clientRate: number) => api.services.update.mutate({ service: props.service, clientRate }),
    onSuccess: (service) =>
      props.notify.ok(
        service.clientRate === 0
          ? `${service.name} no longer limits new connections per client.`
          : `${service.name} now takes at most ${service.clientRate} new connections per client per second; more are dropped.`,
      ),
    onError: props.notify.fail,
    onSettled: props.onChanged,
  });
  return (
    <form
      className="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (valid) update.mutate(value);
      }}
    >
      <InputField
        label="Client rate limit"
        width="inline"
        type="number"
        min={0}
        max={MAX_CLIENT_RATE}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        aria-invalid={!valid}
        aria-describedby="client-rate-help"
      />
      <button type="submit" className="button button-primary" disabled={!valid || value === props.current || update.isPending}>
        {update.isPending ? 'Saving…' : 'Set limit'}
      </button>
      <span id="client-rate-help" className={valid ? 'muted' : 'text-warn'}>
        {valid ? 'new connections per client address per second; more are dropped (0: no limit)' : `a whole number from 0 (no limit) to ${MAX_CLIENT_RATE}`}
      </span>
    </form>
  );
}

/* Switch a service's forwarding mode (admin). New connections take the new mode; open ones keep the mode they began with. */
'use client';
import { FORWARDING_MODES, type ForwardingMode } from '@sluice/api';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from '@/client/api-client.ts';
import { MODE_HELP, MODE_LABEL } from '@/components/forwarding/mode-help.ts';
import { SelectField } from '@/components/ui/form-field.tsx';

export function ModeSwitch(props: { service: string; current: ForwardingMode; onChanged(): void; notify: { ok(t: string): void; fail(e: unknown): void } }) {
  const [choice, setChoice] = useState<ForwardingMode>(props.current);
  useEffect(() => setChoice(props.current), [props.current]);
  const update = useMutation({
    mutationFn: (mode: ForwardingMode) => api.services.update.mutate({ service: props.service, mode }),
    onSuccess: (service) =>
      props.notify.ok(`${service.name} now forwards new connections in ${MODE_LABEL[service.mode]}; open connections keep the mode they began with.`),
    onError: props.notify.fail,
    onSettled: props.onChanged,
  });
  return (
    <form
      className="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate(choice);
      }}
    >
      <SelectField
        label="Forwarding mode"
        width="inline"
        value={choice}
        onChange={(e) => setChoice(e.target.value as ForwardingMode)}
        aria-describedby="mode-help"
        options={FORWARDING_MODES}
        optionLabel={(mode) => MODE_LABEL[mode]}
      />
      <button type="submit" className="button button-primary" disabled={choice === props.current || update.isPending}>
        {update.isPending ? 'Switching…' : 'Switch mode'}
      </button>
      <span id="mode-help" className="muted">
        {MODE_HELP[choice]}
      </span>
    </form>
  );
}

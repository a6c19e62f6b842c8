/* Switch a service's algorithm (admin). Established connections keep their backend; new ones follow the new choice. */
'use client';
import { ALGORITHMS, type Algorithm } from '@sluice/api';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from '@/client/api-client.ts';
import { SelectField } from '@/components/ui/form-field.tsx';

const DESCRIPTION: Record<Algorithm, string> = {
  'round-robin': 'each backend in turn',
  'weighted-round-robin': 'in turn, in proportion to weight',
  'least-connections': 'the backend with the fewest active connections per weight',
  'source-hash': 'the same client address always to the same backend',
  maglev: 'consistent hashing of the connection; little reshuffling when backends change',
};

export function AlgorithmSwitch(props: { service: string; current: Algorithm; onChanged(): void; notify: { ok(t: string): void; fail(e: unknown): void } }) {
  const [choice, setChoice] = useState<Algorithm>(props.current);
  useEffect(() => setChoice(props.current), [props.current]);
  const update = useMutation({
    mutationFn: (algorithm: Algorithm) => api.services.update.mutate({ service: props.service, algorithm }),
    onSuccess: (service) => props.notify.ok(`${service.name} now uses ${service.algorithm} for new connections.`),
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
        label="Algorithm"
        width="inline"
        value={choice}
        onChange={(e) => setChoice(e.target.value as Algorithm)}
        aria-describedby="algorithm-help"
        options={ALGORITHMS}
      />
      <button type="submit" className="button button-primary" disabled={choice === props.current || update.isPending}>
        {update.isPending ? 'Switching…' : 'Switch algorithm'}
      </button>
      <span id="algorithm-help" className="muted">
        {DESCRIPTION[choice]}
      </span>
    </form>
  );
}

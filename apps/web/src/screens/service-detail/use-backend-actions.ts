/* Every backend change on the service page, each reporting its outcome in words and refreshing the view. */
'use client';
import type { AdminState, RouterInputs } from '@sluice/api';
import { useMutation } from '@tanstack/react-query';
import { removalText } from './removal-text.ts';
import { api } from '@/client/api-client.ts';

type Notify = { ok(text: string): void; fail(error: unknown): void };

const STATE_WORD: Record<AdminState, string> = { ready: 'ready', drain: 'draining', maint: 'in maintenance' };

export function useBackendActions(service: string, notify: Notify, refresh: () => unknown) {
  const settle = { onSettled: () => void refresh() };

  const add = useMutation({
    mutationFn: (input: Omit<RouterInputs['backends']['add'], 'service'>) => api.backends.add.mutate({ service, ...input }),
    onSuccess: (backend) => notify.ok(`Added ${backend.endpoint} (weight ${backend.weight}, ${backend.state}).`),
    onError: notify.fail,
    ...settle,
  });

  const setState = useMutation({
    mutationFn: (input: { endpoint: string; state: AdminState; drainTimeoutMs?: number }) => api.backends.setState.mutate({ service, ...input }),
    onSuccess: (backend) =>
      notify.ok(
        `${backend.endpoint} is now ${STATE_WORD[backend.state]}` +
          (backend.state === 'drain'
            ? `: no new connections; ${backend.activeFlows} active left${backend.drain?.deadline ? `, cut at ${new Date(backend.drain.deadline).toLocaleTimeString()}` : ''}.`
            : '.'),
      ),
    onError: notify.fail,
    ...settle,
  });

  const setWeight = useMutation({
    mutationFn: (input: { endpoint: string; weight: number }) => api.backends.setWeight.mutate({ service, ...input }),
    onSuccess: (backend) => notify.ok(`${backend.endpoint} now has weight ${backend.weight}.`),
    onError: notify.fail,
    ...settle,
  });

  const remove = useMutation({
    mutationFn: (input: { endpoint: string; force: boolean }) => api.backends.remove.mutate({ service, ...input }),
    onSuccess: (result) => notify.ok(`Removed ${result.removed}; ${removalText(result)}.`),
    ...settle,
  });

  const bulk = useMutation({
    mutationFn: (input: Omit<RouterInputs['backends']['bulk'], 'service'>) => api.backends.bulk.mutate({ service, ...input }),
    onSuccess: (result, input) => {
      const n = input.endpoints.length;
      const what =
        input.change.action === 'remove'
          ? `Removed ${result.removed.length} backends; ${removalText(result)}`
          : input.change.action === 'setWeight'
            ? `Set weight ${input.change.weight} on ${n} backends`
            : `${n} backends are now ${STATE_WORD[input.change.state]}${input.change.drainTimeoutMs ? `; what is left is cut after ${input.change.drainTimeoutMs / 1000} s` : ''}`;
      notify.ok(`${what}.`);
    },
    ...settle,
  });

  return { add, setState, setWeight, remove, bulk };
}

/*
 * A service's health-check settings after creation (admin), as
 * `sluice service set … --check … --check-interval …` changes them. The
 * agent checks the whole result (timeout within the interval, ranges) and
 * refuses bad settings with every problem named, changing nothing.
 */
'use client';
import { HEALTH_CHECK_TYPES, type HealthCheckPatch, type HealthCheckSpec, type HealthCheckType } from '@sluice/api';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { api } from '@/client/api-client.ts';
import { FormSubmit, InputField, SelectField } from '@/components/ui/form-field.tsx';

interface Draft {
  type: HealthCheckType;
  intervalMs: string;
  timeoutMs: string;
  rise: string;
  fall: string;
  path: string;
  expect: string;
}

const draftOf = (check: HealthCheckSpec): Draft => ({
  type: check.type,
  intervalMs: String(check.intervalMs),
  timeoutMs: String(check.timeoutMs),
  rise: String(check.rise),
  fall: String(check.fall),
  path: check.path ?? '/',
  expect: check.expectStatus ? `${check.expectStatus[0]}-${check.expectStatus[1]}` : '200-399',
});

/* Numbers go to the agent as typed (a blank is NaN): its checks, not the browser's, say what is wrong. */
function patchOf(draft: Draft): HealthCheckPatch {
  const patch: HealthCheckPatch = {
    type: draft.type,
    intervalMs: Number(draft.intervalMs),
    timeoutMs: Number(draft.timeoutMs),
    rise: Number(draft.rise),
    fall: Number(draft.fall),
  };
  if (draft.type === 'http') {
    const [low, high] = draft.expect.split('-').map((part) => Number(part.trim()));
    patch.path = draft.path;
    patch.expectStatus = [low ?? Number.NaN, high ?? low ?? Number.NaN];
  }
  return patch;
}

export function HealthCheckEditor(props: {
  service: string;
  current: HealthCheckSpec;
  onChanged(): void;
  notify: { ok(t: string): void; fail(e: unknown): void };
}) {
  const [draft, setDraft] = useState(() => draftOf(props.current));
  const currentKey = JSON.stringify(props.current);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the stored settings change, not on every render's new object
  useEffect(() => setDraft(draftOf(props.current)), [currentKey]);
  const update = useMutation({
    mutationFn: (healthCheck: HealthCheckPatch) => api.services.update.mutate({ service: props.service, healthCheck }),
    onSuccess: (service) =>
      props.notify.ok(
        service.healthCheck.type === 'none'
          ? `${service.name} no longer checks its backends' health; every backend counts as up.`
          : `${service.name} now checks by ${service.healthCheck.type} every ${service.healthCheck.intervalMs} ms (timeout ${service.healthCheck.timeoutMs} ms, rise ${service.healthCheck.rise}, fall ${service.healthCheck.fall}).`,
      ),
    onError: props.notify.fail,
    onSettled: props.onChanged,
  });
  const set = (field: keyof Draft) => (event: { target: { value: string } }) => setDraft((d) => ({ ...d, [field]: event.target.value }));
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    update.mutate(patchOf(draft));
  };
  return (
    <form className="form-grid form-grid-compact" onSubmit={submit} aria-label="Health-check settings">
      <SelectField label="Check" width="narrow" value={draft.type} onChange={set('type')} options={HEALTH_CHECK_TYPES} />
      <InputField label="Interval (ms)" width="narrow" type="number" value={draft.intervalMs} onChange={set('intervalMs')} />
      <InputField label="Timeout (ms)" width="narrow" type="number" value={draft.timeoutMs} onChange={set('timeoutMs')} />
      <InputField label="Rise" width="narrow" type="number" value={draft.rise} onChange={set('rise')} />
      <InputField label="Fall" width="narrow" type="number" value={draft.fall} onChange={set('fall')} />
      {draft.type === 'http' && (
        <>
          <InputField label="HTTP path" value={draft.path} onChange={set('path')} />
          <InputField label="Healthy statuses" width="narrow" value={draft.expect} onChange={set('expect')} placeholder="200-399" />
        </>
      )}
      <FormSubmit label="Save health check" busyLabel="Saving…" busy={update.isPending} />
    </form>
  );
}

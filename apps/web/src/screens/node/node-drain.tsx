/*
 * Node drain and resume (operators; the viewer sees the state, no buttons).
 * Drain withdraws every route at once (the agent answers once BIRD has),
 * then the node keeps forwarding its open flows while the routers send new
 * ones elsewhere: progress runs from the most open flows seen since the drain
 * began down to 0, or until the drain's timeout, as `sluice node drain`
 * prints it. The timeout is the agent's (node.status), so a reload or another
 * operator sees the same deadline.
 */
'use client';
import type { NodeStatus } from '@sluice/api';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { api } from '@/client/api-client.ts';
import { clock, count, duration } from '@/client/format.ts';
import { useNotice } from '@/client/use-notice.ts';
import { useCan } from '@/components/shell/session-context.tsx';
import { FormSubmit, InputField } from '@/components/ui/form-field.tsx';
import { Notice } from '@/components/ui/states.tsx';
import styles from './node.module.css';

const DEFAULT_TIMEOUT_S = 300;
/* The API's bound (node.types.ts): a day. */
const MAX_TIMEOUT_S = 86_400;

const DIFFERENCE =
  'Node drain withdraws this node from the routers (its BGP routes): they send every packet, of new and open connections, to the other nodes, where maglev and source-hash connections keep their backends. The drain is done when no flow is left, nothing has been forwarded for 3 s, or the timeout passes. Backend drain (on a service page) only stops new connections to one backend; the node keeps announcing.';

const PHASE: Record<NodeStatus['drainPhase'], string> = { none: 'none', waiting: 'draining', 'flows-ended': 'drained', quiet: 'quiet', timeout: 'timeout' };

/** The most open flows seen since this drain began: the start of the progress bar. */
function usePeak(status: NodeStatus): number {
  const peak = useRef<{ since: number | null; flows: number }>({ since: null, flows: 0 });
  if (!status.draining) peak.current = { since: null, flows: 0 };
  else if (peak.current.since !== status.drainingSince) peak.current = { since: status.drainingSince, flows: status.activeFlows };
  else peak.current.flows = Math.max(peak.current.flows, status.activeFlows);
  return peak.current.flows;
}

function DrainProgress({ status, now }: { status: NodeStatus; now: number }) {
  const peak = usePeak(status);
  const left = status.activeFlows;
  const deadline = status.drainTimeoutMs !== null && status.drainingSince !== null ? status.drainingSince + status.drainTimeoutMs : null;
  /* The agent judges the drain (node.status drainPhase), as `sluice node drain` reads it. */
  const phase = PHASE[status.drainPhase];
  const text =
    status.drainPhase === 'flows-ended'
      ? 'Drained: no open flows; the node can be stopped. Resume announces it again.'
      : status.drainPhase === 'quiet'
        ? `Drained: nothing forwarded for 3 s, the routers send this node nothing; its ${count(left)} open flows went on through the other nodes. The node can be stopped. Resume announces it again.`
        : status.drainPhase === 'timeout'
          ? `Timeout after ${duration(status.drainTimeoutMs ?? 0)}: ${count(left)} flows still open and still forwarded here; stopping the node now breaks them.`
          : `Withdrawn; waiting for ${count(left)} open flows or 3 s without traffic${deadline === null ? '' : `, ${duration(Math.max(0, deadline - now))} left of the ${duration(status.drainTimeoutMs ?? 0)} timeout`}.`;
  return (
    <div data-testid="node-drain-progress" data-phase={phase} data-open-flows={left}>
      <p className={styles.status}>
        Draining since {status.drainingSince === null ? '—' : clock(status.drainingSince)}: {text}
      </p>
      <div className={`${styles.meter} ${styles.drainProgress}`}>
        <progress max={1} value={peak === 0 ? 1 : (peak - left) / peak} aria-label={`Node drain: ${left} of ${peak} open flows left`} />
        <span className="muted">
          {count(left)} of {count(peak)} open flows left
        </span>
      </div>
    </div>
  );
}

export function NodeDrain({ status, now }: { status: NodeStatus; now: number }) {
  const canOperate = useCan('operator');
  const queryClient = useQueryClient();
  const { notice, ok, fail, clear } = useNotice();
  const [problem, setProblem] = useState<string | null>(null);
  const update = (next: NodeStatus) => queryClient.setQueryData(['node.status'], next);
  const drain = useMutation({
    mutationFn: (timeoutMs: number) => api.node.drain.mutate({ timeoutMs }),
    onSuccess: (next) => {
      update(next);
      ok(`Routes withdrawn (BIRD announces ${next.bgp?.announced.join(', ') || 'nothing'}); waiting for ${next.activeFlows} open flows.`);
    },
    onError: fail,
  });
  const resume = useMutation({
    mutationFn: () => api.node.resume.mutate(),
    onSuccess: (next) => {
      update(next);
      ok(`Resumed: announcing ${next.bgp?.announced.join(', ') || 'each VIP with an eligible backend, as BIRD exports it'}.`);
    },
    onError: fail,
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const raw = String(new FormData(event.currentTarget).get('timeout') ?? '').trim();
    const seconds = Number(raw);
    if (raw === '' || !Number.isInteger(seconds) || seconds < 0 || seconds > MAX_TIMEOUT_S) {
      setProblem(`The timeout is a whole number of seconds from 0 to ${MAX_TIMEOUT_S} (a day), not "${raw}".`);
      return;
    }
    setProblem(null);
    clear();
    drain.mutate(seconds * 1000);
  };

  /* Without BGP there is nothing to withdraw: the agent refuses drain, so no control is offered. */
  if (!status.bgp) return null;
  return (
    <section className="card" aria-labelledby="drain-title" data-testid="node-drain" data-draining={status.draining}>
      <h2 id="drain-title">
        Drain{' '}
        <span className={`badge ${status.draining ? 'badge-state-drain' : 'badge-state-ready'}`} data-testid="node-state">
          {status.draining ? 'DRAINING' : 'IN SERVICE'}
        </span>
      </h2>
      <p className={styles.explain}>{DIFFERENCE}</p>
      <Notice notice={notice} onDismiss={clear} />
      {status.draining ? (
        <>
          <DrainProgress status={status} now={now} />
          {canOperate && (
            <div className="form-actions">
              <button
                type="button"
                className="button button-primary"
                onClick={() => {
                  clear();
                  resume.mutate();
                }}
                disabled={resume.isPending}
              >
                {resume.isPending ? 'Resuming…' : 'Resume'}
              </button>
            </div>
          )}
        </>
      ) : (
        <>
          <p className={styles.status} data-testid="open-flows">
            In service: {count(status.activeFlows)} open flows on this node.
          </p>
          {canOperate && (
            <form className="form-grid" onSubmit={submit} aria-label="Drain this node" noValidate>
              <InputField
                label="Timeout (seconds)"
                name="timeout"
                width="narrow"
                inputMode="numeric"
                defaultValue={DEFAULT_TIMEOUT_S}
                aria-invalid={problem ? true : undefined}
              />
              <FormSubmit label="Drain node" busyLabel="Withdrawing…" busy={drain.isPending} />
              {problem && (
                <p className="alert alert-error form-wide" role="alert">
                  {problem}
                </p>
              )}
            </form>
          )}
        </>
      )}
    </section>
  );
}

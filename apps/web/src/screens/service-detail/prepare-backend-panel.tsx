/* "Prepare a backend for DSR/IPIP/GUE": the commands README gives, with this service's VIP, then how to report the host's check. */
'use client';
import type { ForwardingMode } from '@sluice/api';
import { prepareSteps, reportCommand } from '@/components/forwarding/backend-host-commands.ts';
import { MODE_LABEL } from '@/components/forwarding/mode-help.ts';

export function PrepareBackendPanel({ mode, vip }: { mode: Exclude<ForwardingMode, 'nat'>; vip: string }) {
  return (
    <section className="card" aria-labelledby="prepare-title" data-testid="prepare-backend">
      <h2 id="prepare-title">Prepare a backend for {MODE_LABEL[mode]}</h2>
      <p className="muted">
        On each backend, as root{mode === 'dsr' ? ' (on the balancer’s link: DSR changes only the MAC)' : ''}; BACKEND_ADDRESS is the backend’s own address.
      </p>
      <ol>
        {prepareSteps(mode, vip).map((step) => (
          <li key={step.command}>
            {step.why}
            <br />
            <code className="command">{step.command}</code>
          </li>
        ))}
      </ol>
      <p>
        Then check the host and show the result here, in the backends table:
        <br />
        <code className="command">{reportCommand(mode, vip)}</code>
      </p>
    </section>
  );
}

/* What an import would change, every change named, before anything is applied (config.import with dryRun). */
import type { RouterOutputs } from '@sluice/api';

type ImportResult = RouterOutputs['config']['import'];

const MARK = { create: '+', add: '+', update: '~', delete: '−', remove: '−' } as const;
const WORD = { create: 'created', add: 'added', update: 'changed', delete: 'deleted', remove: 'removed' } as const;

export function ImportPreview({ result }: { result: ImportResult }) {
  const nothing = result.serviceChanges.length === 0 && result.backendChanges.length === 0;
  return (
    <div data-testid="import-preview">
      <p data-testid="import-counts">
        Services: {result.servicesCreated.length} created, {result.servicesUpdated.length} changed, {result.servicesDeleted.length} deleted. Backends:{' '}
        {result.backendsAdded} added, {result.backendsChanged} changed, {result.backendsRemoved} removed.
      </p>
      {nothing && <p className="muted">The document equals the running configuration: importing it changes nothing.</p>}
      <ul className="change-list">
        {result.serviceChanges.map((c) => (
          <li key={`s ${c.service}`} data-change={c.change}>
            <span aria-hidden="true">{MARK[c.change]} </span>
            service <span className="mono">{c.service}</span> {WORD[c.change]}: {c.detail}
          </li>
        ))}
        {result.backendChanges.map((c) => (
          <li key={`b ${c.service} ${c.endpoint}`} data-change={c.change}>
            <span aria-hidden="true">{MARK[c.change]} </span>
            backend <span className="mono">{c.endpoint}</span> of <span className="mono">{c.service}</span> {WORD[c.change]}: {c.detail}
          </li>
        ))}
      </ul>
      {result.refusals.length > 0 && (
        <div className="alert alert-error" role="alert" data-testid="import-refusals">
          <p>As it stands the import would be refused:</p>
          <ul>
            {result.refusals.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

/*
 * The whole service configuration as one document (admin), like
 * `sluice config export` and `sluice config import [--dry-run]`: download
 * it; or load one, see every change it would make (the agent's dry run, run
 * inside a transaction that is rolled back, so the preview is exact), then
 * apply it. A bad document is refused with every problem listed and
 * changes nothing.
 */
'use client';
import type { RouterOutputs } from '@sluice/api';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/client/api-client.ts';
import { download } from '@/client/download.ts';
import { errorIssues, errorText } from '@/client/error-text.ts';
import { useNotice } from '@/client/use-notice.ts';
import { useCan } from '@/components/shell/session-context.tsx';
import { PageHeader } from '@/components/ui/page-header.tsx';
import { EmptyState, Notice } from '@/components/ui/states.tsx';
import { ImportPreview } from './import-preview.tsx';

type ImportResult = RouterOutputs['config']['import'];
type ImportDocument = Parameters<typeof api.config.import.mutate>[0]['document'];

/* Problems found before the agent is asked (not JSON), or the agent's, each on its own line. */
function problemsOf(error: unknown): string[] {
  const issues = errorIssues(error);
  return issues.length > 0 ? issues : [errorText(error)];
}

export function ConfigurationScreen() {
  const isAdmin = useCan('admin');
  const notice = useNotice({ fleetChanges: true });
  const [text, setText] = useState('');
  const [preview, setPreview] = useState<{ text: string; result: ImportResult } | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [force, setForce] = useState(false);

  const exportConfig = useMutation({
    mutationFn: () => api.config.export.query(),
    onSuccess: (document) => {
      download('sluice-config.json', 'application/json', `${JSON.stringify(document, null, 2)}\n`);
      notice.ok(`Downloaded sluice-config.json: ${document.services.length} services.`);
    },
    onError: notice.fail,
  });
  const runImport = useMutation({
    mutationFn: (input: { document: ImportDocument; dryRun: boolean; force: boolean }) => api.config.import.mutate(input),
  });

  const parse = (): ImportDocument | null => {
    try {
      return JSON.parse(text) as ImportDocument;
    } catch (error) {
      setProblems([`The document is not JSON: ${(error as Error).message}. Paste or load what "Download" or \`sluice config export FILE.json\` wrote.`]);
      return null;
    }
  };
  const previewImport = () => {
    setPreview(null);
    setProblems([]);
    setForce(false);
    const document = parse();
    if (!document) return;
    runImport.mutate(
      { document, dryRun: true, force: false },
      { onSuccess: (result) => setPreview({ text, result }), onError: (error) => setProblems(problemsOf(error)) },
    );
  };
  const applyImport = () => {
    const document = parse();
    if (!document || !preview) return;
    runImport.mutate(
      { document, dryRun: false, force },
      {
        onSuccess: (result) => {
          setPreview(null);
          notice.ok(
            `Imported: ${result.serviceChanges.length} service and ${result.backendChanges.length} backend change${result.backendChanges.length === 1 ? '' : 's'} applied.`,
          );
        },
        onError: (error) => setProblems(problemsOf(error)),
      },
    );
  };

  if (!isAdmin)
    return (
      <>
        <PageHeader title="Configuration" />
        <EmptyState title="Only admins export and import the configuration" />
      </>
    );
  /* A preview holds for the text it was made from: an edit asks for a new one. */
  const current = preview && preview.text === text ? preview.result : null;

  return (
    <>
      <PageHeader title="Configuration" subtitle="Every service and backend as one JSON document: the same as sluice config export and import." />
      <Notice notice={notice.notice} onDismiss={notice.clear} />
      <section className="card" aria-labelledby="export-title">
        <h2 id="export-title">Export</h2>
        <button type="button" className="button" onClick={() => exportConfig.mutate()} disabled={exportConfig.isPending}>
          {exportConfig.isPending ? 'Exporting…' : 'Download configuration'}
        </button>
      </section>
      <section className="card" aria-labelledby="import-title">
        <h2 id="import-title">Import</h2>
        <p className="muted">
          The document replaces the whole configuration: services it does not list are deleted. Preview first; nothing changes until you apply.
        </p>
        <label className="field">
          <span>Load a file</span>
          <input
            type="file"
            accept=".json,application/json"
            onChange={async (event) => {
              const file = event.target.files?.[0];
              if (file) setText(await file.text());
            }}
          />
        </label>
        <label className="field">
          <span>Configuration document (JSON)</span>
          <textarea className="mono config-text" rows={12} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
        </label>
        <div className="inline-form">
          <button type="button" className="button" onClick={previewImport} disabled={text.trim() === '' || runImport.isPending}>
            Preview changes
          </button>
          <button
            type="button"
            className="button button-primary"
            onClick={applyImport}
            disabled={!current || runImport.isPending || (current.refusals.length > 0 && !force)}
          >
            Apply import
          </button>
          {current && current.refusals.length > 0 && (
            <label>
              <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Force: cut the connections of the backends it removes
            </label>
          )}
        </div>
        {problems.length > 0 && (
          <div className="alert alert-error" role="alert" data-testid="import-problems">
            <p>
              The document was refused ({problems.length} problem{problems.length === 1 ? '' : 's'}); nothing was changed:
            </p>
            <ul>
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </div>
        )}
        {current && <ImportPreview result={current} />}
      </section>
    </>
  );
}

/* What `sluice config import` says it would change (--dry-run) or changed: counts, then every change named. */
import type { ConfigImportResult } from '@sluice/api';

const MARK = { create: '+', add: '+', update: '~', delete: '-', remove: '-' } as const;

export function importPreviewText(file: string, result: ConfigImportResult): string {
  return [
    `${result.dryRun ? 'would import' : 'imported'} ${file}:`,
    `  services: +${result.servicesCreated.length} ~${result.servicesUpdated.length} -${result.servicesDeleted.length}`,
    `  backends: +${result.backendsAdded} ~${result.backendsChanged} -${result.backendsRemoved}`,
    ...result.serviceChanges.map((c) => `  ${MARK[c.change]} service ${c.service}: ${c.detail}`),
    ...result.backendChanges.map((c) => `  ${MARK[c.change]} backend ${c.endpoint} of ${c.service}: ${c.detail}`),
    ...result.refusals.map((r) => `  refused: ${r}`),
  ].join('\n');
}

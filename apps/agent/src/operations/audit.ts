/* audit.list: the audit log, newest first; audit.events: what a chart marks over a time range. Every change writes its rows through Agent.commit (or, for identities, auth.ts). */
import type { SluiceBackend } from '@sluice/api';
import type { Store } from '../store/index.js';

export function auditOperations(store: Store): SluiceBackend['audit'] {
  return { list: (input) => store.audit.list(input), events: (input) => store.audit.events(input, Date.now()) };
}

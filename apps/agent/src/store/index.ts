export { Store } from './store.js';
export { DEFAULT_DATA_DIR, DATABASE_FILE } from './database.js';
export type { BackendRow, NewBackend, NewService, ServiceRow, WholeService } from './services-repo.js';
export type { SessionRow, TokenRow, UserRow } from './identities-repo.js';
export type { AuditRecord } from './audit-repo.js';
export { hashPassword, hashToken, newToken, verifyPassword, dummyPasswordHash } from './passwords.js';
export type { StoredHostReport } from './backend-hosts-repo.js';

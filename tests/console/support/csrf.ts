/* The console's CSRF cookie and header names, as apps/web/src/server/session-cookies.ts sets them. */
export const CSRF_COOKIE = 'sluice_csrf';
export const CSRF_HEADER = 'x-sluice-csrf';

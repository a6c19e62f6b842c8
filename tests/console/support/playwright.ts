/*
 * @playwright/test is a dependency of apps/web only (one package owns the
 * console's tooling), so specs here reach it by path. Node resolves the
 * symlink to the same real file the runner loaded, so both share one
 * module instance (one `test`, one registry of tests).
 */
export * from '../../../apps/web/node_modules/@playwright/test/index.mjs';
export { default } from '../../../apps/web/node_modules/@playwright/test/index.mjs';

export { BACKEND_SELECTION_VERSION } from './selection-version.js';
export { EtcdFleet, type EtcdFleetOptions, type FleetSink, type SharedAudit, compatDifference } from './etcd-fleet.js';
export { type EtcdAddress, type StoreAddress, parseStoreAddress } from './store-address.js';
export {
  FLEET_PREFIX,
  SERVICES_PREFIX,
  USERS_PREFIX,
  TOKENS_PREFIX,
  HEAD_KEY,
  COMPAT_KEY,
  NODES_PREFIX,
  CHECKER_KEY,
  HEALTH_RESULTS_PREFIX,
  healthResultKey,
  serviceKey,
  userKey,
  tokenKey,
  nodeKey,
} from './fleet-keys.js';
export { FleetHealth, type LocalHealth, type PublishedHealth } from './fleet-health.js';
export { type StoreProblem, checkStoreAccess, describeStoreError } from './store-check.js';
export { type StoreCredentials, storeClientOptions } from './store-client.js';

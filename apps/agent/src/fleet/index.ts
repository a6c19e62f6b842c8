export { BACKEND_SELECTION_VERSION, EtcdFleet, type EtcdFleetOptions, type FleetSink, type SharedAudit, compatDifference } from './etcd-fleet.js';
export { type EtcdAddress, type StoreAddress, parseStoreAddress } from './store-address.js';
export { FLEET_PREFIX, SERVICES_PREFIX, HEAD_KEY, COMPAT_KEY, NODES_PREFIX, serviceKey, nodeKey } from './fleet-keys.js';

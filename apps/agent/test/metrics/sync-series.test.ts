/* The flow-sync series (issue 13) read what node.status says of the sync: state, lag, refusals, split brain. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SyncStatus } from '@sluice/api';
import type { MetricsSnapshot } from '../../src/metrics/index.js';
import { EMPTY_SNAPSHOT, seriesStartingWith } from './series.js';

const sync: SyncStatus = {
  state: 'in-sync',
  listen: '198.18.0.11:7946',
  peer: '198.18.0.12:7946',
  peerDeadAfterMs: 1000,
  lastMessageAgeMs: 120,
  peerRole: 'master',
  inbound: {
    connected: true,
    peerAddress: '198.18.0.12:40000',
    resynced: true,
    lastResyncAt: 1,
    resyncs: 2,
    appliedFlows: 345,
    appliedEnds: 6,
    unknownBackends: 0,
    writeErrors: 0,
  },
  outbound: {
    connected: true,
    streamingTable: false,
    connectedSince: 1,
    resyncs: 1,
    lastResyncMs: 4,
    lastResyncFlows: 10,
    sentFlows: 789,
    sentEnds: 3,
    lastAliveAt: 1,
    droppedEvents: 2,
    lastError: null,
  },
  lag: { samples: 50, lastMs: 1, p50Ms: 1, p99Ms: 12, maxMs: 40 },
  refused: { total: 3, byReason: { 'bad-mac': 2, 'bad-sequence': 1, 'bad-frame': 0, 'bad-hello': 0 }, last: null },
  splitBrain: {
    confirmAfterMs: 1000,
    yieldHoldMs: 30000,
    yielding: true,
    yieldedAt: 5,
    yieldEndsAt: 30005,
    splits: 4,
    lastSplitAt: 5,
    lastVerdict: 'x',
    bothHoldingForMs: null,
    holdsVips: false,
    peerHoldsVips: true,
  },
};

const snapshot = (nodeSync: SyncStatus | null): MetricsSnapshot => ({
  ...EMPTY_SNAPSHOT,
  node: { draining: false, compat: { hashSeed: 1, lookupTableSize: 65537, dataplaneBuild: 'b' }, bgp: null, vrrpRole: 'backup', sync: nodeSync },
});

const series = (s: MetricsSnapshot) => seriesStartingWith(s, 'sluice_sync_');

test('every sync series carries the status it reads', async () => {
  assert.deepEqual(await series(snapshot(sync)), [
    'sluice_sync_events_dropped_total 2',
    'sluice_sync_flows_applied_total 345',
    'sluice_sync_flows_sent_total 789',
    'sluice_sync_lag_milliseconds{quantile="0.5"} 1',
    'sluice_sync_lag_milliseconds{quantile="0.99"} 12',
    'sluice_sync_lag_milliseconds{quantile="1"} 40',
    'sluice_sync_refused_total{reason="bad-frame"} 0',
    'sluice_sync_refused_total{reason="bad-hello"} 0',
    'sluice_sync_refused_total{reason="bad-mac"} 2',
    'sluice_sync_refused_total{reason="bad-sequence"} 1',
    'sluice_sync_split_brains_total 4',
    'sluice_sync_state{state="in-sync"} 1',
    'sluice_sync_state{state="peer-dead"} 0',
    'sluice_sync_state{state="syncing"} 0',
    'sluice_sync_yielding 1',
  ]);
});

test('no sync settings: no sync series at all (not zeros that look like a healthy pair)', async () => {
  assert.deepEqual(await series(snapshot(null)), []);
});

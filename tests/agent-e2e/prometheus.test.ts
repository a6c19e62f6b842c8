/*
 * The shipped Prometheus setup against a real agent: Debian's Prometheus with
 * ops/prometheus/prometheus.yml and rules.yml scrapes the agent, every rule
 * evaluates without error on its real series, and the alerts that promtool's
 * unit tests prove on synthetic series go pending on real events: a backend
 * whose server stops, a service left with no eligible backend.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AgentProcess, sluiceOk } from '@sluice/testbed/agent-process';
import { waitFor } from '@sluice/testbed/api-client';
import { stateDir, stopServer } from '@sluice/testbed/servers';
import { PREFIX, type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';
import { METRICS_ADDRESS, type Prometheus, activeAlerts, instantQuery, ruleHealth, startPrometheus, stopPrometheus } from './support/prometheus.ts';

const VIP = '198.18.100.1';
const HTTP = 8080;
const SERVICE = `${VIP}:${HTTP}/tcp`;
/* Scrape and evaluation every 5 s (prometheus.yml): a change shows within ~2 cycles. */
const WITHIN = { everyMs: 500, timeoutMs: 30_000 };
const T = { timeout: 120_000 };

let network: Network;
let agent: AgentProcess | undefined;
let prometheus: Prometheus | undefined;
const endpointOf = (name: string) => `${network.topology.backends.find((b) => b.name === name)!.ipv4}:${HTTP}`;
const prometheusLog = () => {
  try {
    return readFileSync(prometheus!.logFile, 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
};

before(async () => {
  network = await setUpNetwork();
  agent = await AgentProcess.start(network, ['--metrics-address', METRICS_ADDRESS]);
  await sluiceOk(network, ['service', 'add', SERVICE, '--check', 'tcp', '--check-interval', '500ms', '--check-timeout', '300ms', '--fall', '2']);
  for (const name of ['be1', 'be2', 'be3']) await sluiceOk(network, ['backend', 'add', SERVICE, endpointOf(name)]);
  prometheus = startPrometheus(network.topology.lb.namespace, join(stateDir(PREFIX), 'prometheus'));
});

after(async () => {
  try {
    await stopPrometheus(prometheus);
    await agent?.stopAndTeardown();
  } finally {
    await tearDownNetwork();
  }
});

test('Prometheus scrapes the agent and every shipped rule evaluates without error', T, async () => {
  const eligible = await waitFor(
    () => instantQuery(prometheus!, `sluice_service_eligible_backends{service="${SERVICE}"}`).catch(() => []),
    (result) => result.length === 1 && result[0]!.value[1] === '3',
    WITHIN,
  );
  assert.ok(eligible.ok, `3 eligible backends scraped; got ${JSON.stringify(eligible.value)}; log: ${prometheusLog()}`);
  const up = await instantQuery(prometheus!, 'up{job="sluice"}');
  assert.deepEqual(
    up.map((s) => s.value[1]),
    ['1'],
  );
  const capacity = await instantQuery(prometheus!, 'sluice_flow_table_capacity');
  assert.ok(Number(capacity[0]?.value[1]) > 0, 'the flow table capacity is scraped');
  /* Rules are evaluated on the next cycle after the first scrape; each must have run and be healthy. */
  const rules = await waitFor(
    () => ruleHealth(prometheus!),
    (list) => list.length > 0 && list.every((r) => r.health === 'ok'),
    WITHIN,
  );
  assert.ok(rules.ok, `every rule healthy: ${JSON.stringify(rules.value.filter((r) => r.health !== 'ok'))}`);
  const fill = await waitFor(
    () => instantQuery(prometheus!, 'sluice:flow_table:fill_ratio'),
    (result) => result.length === 1,
    WITHIN,
  );
  const tracked = await instantQuery(prometheus!, '{__name__=~"sluice_flows_tracked|sluice_flow_table_capacity"}');
  assert.ok(fill.ok, `the recording rule produces the fill ratio from real series: ${JSON.stringify(tracked)}`);
});

test("be2's server stops: SluiceBackendDown goes pending for be2 only", T, async () => {
  await stopServer(stateDir(PREFIX), 'be2');
  const alerts = await waitFor(
    () => activeAlerts(prometheus!),
    (list) => list.some((a) => a.labels.alertname === 'SluiceBackendDown'),
    WITHIN,
  );
  const down = alerts.value.filter((a) => a.labels.alertname === 'SluiceBackendDown');
  assert.deepEqual(
    down.map((a) => a.labels.backend),
    [endpointOf('be2')],
    `alerts: ${JSON.stringify(alerts.value)}`,
  );
  assert.equal(down[0]!.labels.service, SERVICE);
});

test('every backend drained: SluiceNoEligibleBackend goes pending for the service', T, async () => {
  for (const name of ['be1', 'be3']) await sluiceOk(network, ['backend', 'drain', SERVICE, endpointOf(name)]);
  const alerts = await waitFor(
    () => activeAlerts(prometheus!),
    (list) => list.some((a) => a.labels.alertname === 'SluiceNoEligibleBackend'),
    WITHIN,
  );
  const none = alerts.value.filter((a) => a.labels.alertname === 'SluiceNoEligibleBackend');
  assert.deepEqual(
    none.map((a) => a.labels.service),
    [SERVICE],
    `alerts: ${JSON.stringify(alerts.value)}`,
  );
  /* A drained backend is expected to take nothing: be2 (ready, down) still alerts, be1/be3 never do. */
  const down = alerts.value.filter((a) => a.labels.alertname === 'SluiceBackendDown').map((a) => a.labels.backend);
  assert.deepEqual(down, [endpointOf('be2')]);
});

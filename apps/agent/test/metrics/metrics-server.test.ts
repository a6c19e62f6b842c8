/* The /metrics endpoint: a real scrape over loopback, checked by promtool when installed. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { type MetricsServer, type MetricsSnapshot, startMetricsServer } from '../../src/metrics/index.js';
import { GLOBAL_COUNTER_NAMES } from '../../src/stats/index.js';
import { hasCommand } from '@sluice/dataplane/test-helpers';

const traffic = (n: number) => ({ packets: n, bytes: n * 100, replyPackets: n / 2, replyBytes: n * 50, newFlows: n / 10, drops: 1, activeFlows: 3 });

const NO_DROPS = { dsr_not_on_link: 0, dsr_no_neighbour: 0, tunnel_no_next_hop: 0, too_big: 0, too_big_no_df: 0, too_big_rate: 0 };

describe('metrics server', () => {
  let server: MetricsServer;
  let snapshot: MetricsSnapshot;
  before(async () => {
    snapshot = {
      version: '0.1.0',
      global: Object.fromEntries(GLOBAL_COUNTER_NAMES.map(({ name }, i) => [name, i * 10])),
      flowsTracked: 42,
      flowTableCapacity: 65_536,
      services: [{ service: '198.18.100.1:80/tcp', ...traffic(1000), eligibleBackends: 1 }],
      backends: [
        {
          service: '198.18.100.1:80/tcp',
          backend: '198.18.1.1:8080',
          ...traffic(600),
          up: true,
          weight: 2,
          state: 'ready',
          errors: { drops: { ...NO_DROPS, too_big: 7 }, resets: 5, unansweredSyns: 3, incompleteHandshakes: null, healthLatencyMs: 12.5 },
        },
        {
          service: '198.18.100.1:80/tcp',
          backend: '[2001:db8::1]:8080',
          ...traffic(400),
          up: false,
          weight: 1,
          state: 'drain',
          /* As a dsr backend: resets and unanswered SYNs not observable. */
          errors: { drops: { ...NO_DROPS, dsr_no_neighbour: 2 }, resets: null, unansweredSyns: null, incompleteHandshakes: 4, healthLatencyMs: null },
        },
      ],
    };
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, collect: () => snapshot });
  });
  after(() => server?.close());

  const scrape = async (path = '/metrics') => {
    const res = await fetch(`http://127.0.0.1:${server.address.port}${path}`);
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };

  it('serves the text format with stable names, labels and types', async () => {
    const { status, type, body } = await scrape();
    assert.equal(status, 200);
    assert.match(type!, /^text\/plain; version=0\.0\.4/);
    const lines = body.split('\n');
    const expect = [
      '# TYPE sluice_service_packets_total counter',
      'sluice_service_packets_total{service="198.18.100.1:80/tcp",direction="forward"} 1000',
      'sluice_service_packets_total{service="198.18.100.1:80/tcp",direction="reply"} 500',
      '# TYPE sluice_service_bytes_total counter',
      'sluice_service_new_flows_total{service="198.18.100.1:80/tcp"} 100',
      'sluice_service_drops_total{service="198.18.100.1:80/tcp"} 1',
      'sluice_backend_packets_total{service="198.18.100.1:80/tcp",backend="198.18.1.1:8080",direction="forward"} 600',
      '# TYPE sluice_backend_active_flows gauge',
      'sluice_backend_active_flows{service="198.18.100.1:80/tcp",backend="198.18.1.1:8080"} 3',
      'sluice_backend_up{service="198.18.100.1:80/tcp",backend="198.18.1.1:8080"} 1',
      'sluice_backend_up{service="198.18.100.1:80/tcp",backend="[2001:db8::1]:8080"} 0',
      'sluice_backend_weight{service="198.18.100.1:80/tcp",backend="198.18.1.1:8080"} 2',
      'sluice_backend_admin_state{service="198.18.100.1:80/tcp",backend="[2001:db8::1]:8080",state="drain"} 1',
      '# TYPE sluice_packets_total counter',
      'sluice_packets_total{action="pass"} 20',
      'sluice_drops_total{reason="no_backend"} 100',
      'sluice_passes_total{reason="not_service"} 120',
      'sluice_flow_events_total{event="new"} 180',
      'sluice_flows_tracked 42',
      'sluice_flow_table_capacity 65536',
      '# TYPE sluice_service_eligible_backends gauge',
      'sluice_service_eligible_backends{service="198.18.100.1:80/tcp"} 1',
      'sluice_agent_info{version="0.1.0"} 1',
      '# TYPE sluice_backend_drops_total counter',
      'sluice_backend_drops_total{service="198.18.100.1:80/tcp",backend="198.18.1.1:8080",reason="too_big"} 7',
      'sluice_backend_drops_total{service="198.18.100.1:80/tcp",backend="198.18.1.1:8080",reason="dsr_not_on_link"} 0',
      'sluice_backend_drops_total{service="198.18.100.1:80/tcp",backend="[2001:db8::1]:8080",reason="dsr_no_neighbour"} 2',
      '# TYPE sluice_backend_resets_total counter',
      'sluice_backend_resets_total{service="198.18.100.1:80/tcp",backend="198.18.1.1:8080"} 5',
      '# TYPE sluice_backend_failed_handshakes_total counter',
      'sluice_backend_failed_handshakes_total{service="198.18.100.1:80/tcp",backend="198.18.1.1:8080",kind="unanswered"} 3',
      'sluice_backend_failed_handshakes_total{service="198.18.100.1:80/tcp",backend="[2001:db8::1]:8080",kind="incomplete"} 4',
      '# TYPE sluice_backend_health_latency_seconds gauge',
      'sluice_backend_health_latency_seconds{service="198.18.100.1:80/tcp",backend="198.18.1.1:8080"} 0.0125',
    ];
    for (const line of expect) assert.ok(lines.includes(line), `missing line: ${line}`);
    /* Not observable in the backend's mode: absent, never 0. */
    const dsr = 'backend="[2001:db8::1]:8080"';
    for (const name of ['sluice_backend_resets_total', 'sluice_backend_health_latency_seconds'])
      assert.ok(!lines.some((l) => l.startsWith(name) && l.includes(dsr)), `${name} has no series for the dsr backend`);
    assert.ok(!lines.some((l) => l.includes('kind="incomplete"') && l.includes('backend="198.18.1.1:8080"')), 'a nat backend has no incomplete kind');
    assert.ok(!lines.some((l) => l.includes('kind="unanswered"') && l.includes(dsr)), 'a dsr backend has no unanswered kind');
    /* No default process metrics: only ours, in our registry. */
    assert.ok(lines.filter((l) => l && !l.startsWith('#')).every((l) => l.startsWith('sluice_')));
  });

  it('follows the counters between scrapes and drops removed series', async () => {
    snapshot = { ...snapshot, services: [{ service: '198.18.100.1:80/tcp', ...traffic(3000), eligibleBackends: 1 }], backends: snapshot.backends.slice(0, 1) };
    const { body } = await scrape();
    assert.ok(body.includes('sluice_service_packets_total{service="198.18.100.1:80/tcp",direction="forward"} 3000'));
    assert.ok(!body.includes('2001:db8::1'), 'a removed backend has no series left');
  });

  it('answers 404 elsewhere', async () => {
    assert.equal((await scrape('/')).status, 404);
  });

  it('a failed collection answers 500 with a reference, not the error text', async () => {
    const failing = await startMetricsServer({
      host: '127.0.0.1',
      port: 0,
      collect: () => {
        throw new Error("EACCES: permission denied, open '/sys/fs/bpf/sluice/flows'");
      },
    });
    try {
      const res = await fetch(`http://127.0.0.1:${failing.address.port}/metrics`);
      const body = await res.text();
      assert.equal(res.status, 500);
      assert.match(body, /^metrics collection failed \(reference [0-9a-f]{8}\)/);
      assert.doesNotMatch(body, /EACCES|\/sys\/|\bat /);
    } finally {
      await failing.close();
    }
  });

  it('passes promtool check metrics', { skip: !hasCommand('promtool') && 'promtool not installed (apt-get install prometheus)' }, async () => {
    const { body } = await scrape();
    const result = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    assert.equal(result.status, 0, `promtool: ${result.stdout}${result.stderr}`);
    assert.equal(`${result.stdout}${result.stderr}`.trim(), '', 'no lint warnings either');
  });
});

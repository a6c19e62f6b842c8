#!/usr/bin/env bash
# The demo: set up, build the test network, start the agent with the demo
# services and the web console, send light traffic and show what the balancer
# does. Ctrl-C (or the time limit, DEMO_SECONDS, default 600) ends it and
# tears everything down.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh
source scripts/lib/supervise.sh

DEMO_SECONDS=${DEMO_SECONDS:-600}
PREFIX=sl
PIN_DIR=/run/sluice/bpf
RUN_DIR=/run/sluice-demo
INTERFACES=cli0,be1,be2,be3
CONSOLE_ADDRESS=127.0.0.1
CONSOLE_PORT=${CONSOLE_PORT:-3000}
# Both on the balancer namespace's loopback: ops/prometheus/prometheus.yml scrapes this address.
METRICS_ADDRESS=127.0.0.1:9469
PROMETHEUS_ADDRESS=127.0.0.1:9090
SLUICE="node apps/agent/bin/sluice.mjs"

# --nodes N (2 or 3): several balancer nodes behind a BGP router's ECMP instead (demo/nodes.ts);
# --nodes N --etcd: the nodes share one desired state on an etcd the demo starts (issue 16).
if [ "${1:-}" = "--nodes" ]; then
  [[ "${2:-}" =~ ^[23]$ ]] || die "--nodes takes 2 or 3"
  case "${3:-}" in
    "") DEMO_ETCD=0 ;;
    --etcd) DEMO_ETCD=1 ;;
    *) die "usage: scripts/demo.sh --nodes 2|3 [--etcd]" ;;
  esac
  bash scripts/setup.sh
  step "building the web console"
  bash scripts/build-console.sh >/tmp/sluice-console-build.log 2>&1 || { tail -30 /tmp/sluice-console-build.log; die "the console did not build (log above)"; }
  # exec: Ctrl-C and kill -INT/-TERM reach the demo itself, which tears down.
  DEMO_NODES=$2 DEMO_ETCD=$DEMO_ETCD DEMO_SECONDS=$DEMO_SECONDS exec node --import tsx demo/nodes.ts
fi
# --ha: an active/standby pair with keepalived and flow sync instead (demo/pair.ts).
if [ "${1:-}" = "--ha" ]; then
  [ $# -eq 1 ] || die "--ha takes no argument"
  bash scripts/setup.sh
  step "building the web console"
  bash scripts/build-console.sh >/tmp/sluice-console-build.log 2>&1 || { tail -30 /tmp/sluice-console-build.log; die "the console did not build (log above)"; }
  DEMO_SECONDS=$DEMO_SECONDS exec node --import tsx demo/pair.ts
fi
[ $# -eq 0 ] || die "usage: scripts/demo.sh [--nodes 2|3 [--etcd] | --ha]"

bash scripts/setup.sh

cleanup() {
  trap - EXIT INT TERM
  set +e # tear down as much as possible, whatever already stopped by itself
  step "tearing the demo down"
  stop_supervised
  [ -f "$RUN_DIR/console.pid" ] && kill "$(cat "$RUN_DIR/console.pid")" 2>/dev/null
  [ -f "$RUN_DIR/prometheus.pid" ] && kill "$(cat "$RUN_DIR/prometheus.pid")" 2>/dev/null
  [ -f "$RUN_DIR/agent.pid" ] && kill "$(cat "$RUN_DIR/agent.pid")" 2>/dev/null && sleep 1
  [ -f "$RUN_DIR/traffic.pid" ] && kill -- "-$(cat "$RUN_DIR/traffic.pid")" 2>/dev/null
  ip netns exec "$PREFIX-lb" node apps/agent/bin/sluice.mjs teardown --interfaces "$INTERFACES" --pin-dir "$PIN_DIR" 2>/dev/null || true
  pnpm -s testbed down --prefix "$PREFIX" >/dev/null 2>&1 || true
  rm -rf "$RUN_DIR"
}
supervise cleanup

step "building the test network (client, balancer, 3 backends, in namespaces only)"
mkdir -p "$RUN_DIR"
pnpm -s testbed up --prefix "$PREFIX" --quiet > "$RUN_DIR/topology.json"

# bpffs in the root mount namespace: it outlives `ip netns exec`, so pins survive agent restarts.
mkdir -p "$PIN_DIR"
mountpoint -q "$PIN_DIR" || mount -t bpf bpf "$PIN_DIR"

# The console's first admin: the agent creates it on first start from this file.
ADMIN_PASSWORD=${DEMO_ADMIN_PASSWORD:-$(node -e "console.log(require('crypto').randomBytes(12).toString('base64url'))")}
(umask 077 && printf '%s\n' "$ADMIN_PASSWORD" > "$RUN_DIR/admin.password")

step "starting the agent in $PREFIX-lb (XDP on $INTERFACES)"
ip netns exec "$PREFIX-lb" node apps/agent/bin/sluice.mjs agent --interfaces "$INTERFACES" \
  --config demo/config.json --pin-dir "$PIN_DIR" --ready-file "$RUN_DIR/agent.ready" --data-dir "$RUN_DIR/data" \
  --admin-password-file "$RUN_DIR/admin.password" --metrics-address "$METRICS_ADDRESS" \
  > "$RUN_DIR/agent.log" 2>&1 &
echo $! > "$RUN_DIR/agent.pid"
for _ in $(seq 50); do [ -f "$RUN_DIR/agent.ready" ] && break; sleep 0.2; done
[ -f "$RUN_DIR/agent.ready" ] || { cat "$RUN_DIR/agent.log"; die "the agent did not start (log above)"; }

step "starting Prometheus in $PREFIX-lb on $PROMETHEUS_ADDRESS (ops/prometheus: scrapes the agent, rules and alerts)"
mkdir -p "$RUN_DIR/prometheus"
ip netns exec "$PREFIX-lb" prometheus --config.file=ops/prometheus/prometheus.yml --storage.tsdb.path="$RUN_DIR/prometheus" \
  --web.listen-address="$PROMETHEUS_ADDRESS" --log.level=warn > "$RUN_DIR/prometheus.log" 2>&1 &
echo $! > "$RUN_DIR/prometheus.pid"

step "building and starting the web console on http://$CONSOLE_ADDRESS:$CONSOLE_PORT"
bash scripts/build-console.sh > "$RUN_DIR/console-build.log" 2>&1 \
  || { tail -30 "$RUN_DIR/console-build.log"; die "the console did not build (log above)"; }
SLUICE_AGENT_SOCKET=/run/sluice/agent.sock NEXT_TELEMETRY_DISABLED=1 \
  node apps/web/node_modules/next/dist/bin/next start apps/web --hostname "$CONSOLE_ADDRESS" --port "$CONSOLE_PORT" \
  > "$RUN_DIR/console.log" 2>&1 &
echo $! > "$RUN_DIR/console.pid"

step "sending demo traffic for $DEMO_SECONDS s (HTTP to 198.18.100.1, .2 and [2001:db8:100::1], UDP to 198.18.100.1:53)"
setsid bash demo/traffic.sh "$PREFIX-client" "$DEMO_SECONDS" &
echo $! > "$RUN_DIR/traffic.pid"

cat <<INFO
  Console:  http://$CONSOLE_ADDRESS:$CONSOLE_PORT   user admin, password $ADMIN_PASSWORD (shown once)
  Try it yourself from the client namespace:
    ip netns exec $PREFIX-client curl -s http://198.18.100.1/
    ip netns exec $PREFIX-client node testbed/client.mjs http --url http://198.18.100.2/ --count 600
  Prometheus (in $PREFIX-lb, loopback only; rules and alerts from ops/prometheus/):
    ip netns exec $PREFIX-lb curl -s http://$PROMETHEUS_ADDRESS/api/v1/alerts
    ip netns exec $PREFIX-lb curl -s 'http://$PROMETHEUS_ADDRESS/api/v1/query?query=sluice:service_new_flows:rate1m'
  CLI:      $SLUICE service ls     (also: backend drain|weight, conns, stats, health, audit)
  Or edit demo/config.json, then: kill -HUP $(cat "$RUN_DIR/agent.pid")
  Logs: $RUN_DIR/agent.log, $RUN_DIR/console.log, $RUN_DIR/prometheus.log      Stop the demo: Ctrl-C
INFO

run_supervised timeout "$DEMO_SECONDS" npx tsx demo/monitor.ts "$PIN_DIR"

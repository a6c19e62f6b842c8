#!/usr/bin/env bash
# Light, bounded demo traffic from the client namespace: a round of HTTP and
# UDP requests every second until the deadline, then it stops by itself.
set -uo pipefail
cd "$(dirname "$0")/.."
NS=${1:?client namespace}
SECONDS_TO_RUN=${2:?seconds}
deadline=$((SECONDS + SECONDS_TO_RUN))
client() { ip netns exec "$NS" node testbed/client.mjs "$@" --timeout-ms 5000 >/dev/null 2>&1; }
while [ $SECONDS -lt $deadline ]; do
  client http --url http://198.18.100.1/ --count 20 --concurrency 4 &
  client http --url http://198.18.100.2/ --count 12 --concurrency 4 &
  client http --url 'http://[2001:db8:100::1]/' --count 8 --concurrency 2 &
  client udp --host 198.18.100.1 --port 53 --count 10 --source "198.18.0.1$((RANDOM % 10))" &
  wait
  sleep 1
done

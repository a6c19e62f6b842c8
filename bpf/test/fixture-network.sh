#!/usr/bin/env bash
# The namespace the packet fixtures run in: FIB lookups there give known
# routes, interfaces and MAC addresses, so expected output frames are exact.
#   fxc: faces clients   198.18.0.1/24, 2001:db8::1/64
#   fxb: faces backends  198.19.0.1/16, 2001:db8:1::1/48
# Neighbours are permanent entries; 198.19.9.2 and 2001:db8:1:9::2 have none.
# Behind the gateway 198.19.0.254 / 2001:db8:1::fe (on fxb): 198.20.0.0/16 and
# 2001:db8:20::/48 (routed backends), 198.21.0.0/16 on a route with MTU 1300.
set -euo pipefail
# SLUICE_TEST_TAG keeps two checkouts' runs apart (testbed/tag.ts).
NS=slfx${SLUICE_TEST_TAG:-}

down() { ip netns del "$NS" 2>/dev/null || true; }

up() {
  down
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  ip -n "$NS" link add fxc address 02:00:00:00:0c:01 type veth peer name fxc-peer address 02:00:00:00:0c:ff
  # MTU 1400 toward backends: a fixture proves a cached next hop still respects it.
  ip -n "$NS" link add fxb mtu 1400 address 02:00:00:00:0b:01 type veth peer name fxb-peer mtu 1400 address 02:00:00:00:0b:ff
  for link in fxc fxc-peer fxb fxb-peer; do ip -n "$NS" link set "$link" up; done
  ip -n "$NS" addr add 198.18.0.1/24 dev fxc
  ip -n "$NS" addr add 2001:db8::1/64 dev fxc nodad
  ip -n "$NS" addr add 198.19.0.1/16 dev fxb
  ip -n "$NS" addr add 2001:db8:1::1/48 dev fxb nodad
  ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ip -n "$NS" neigh replace 198.18.0.2 lladdr 02:00:00:00:c0:02 dev fxc nud permanent
  ip -n "$NS" neigh replace 198.18.0.3 lladdr 02:00:00:00:c0:03 dev fxc nud permanent
  ip -n "$NS" neigh replace 2001:db8::2 lladdr 02:00:00:00:c0:02 dev fxc nud permanent
  ip -n "$NS" neigh replace 198.19.0.254 lladdr 02:00:00:00:b0:fe dev fxb nud permanent
  ip -n "$NS" neigh replace 2001:db8:1::fe lladdr 02:00:00:00:b0:fe dev fxb nud permanent
  ip -n "$NS" route add 198.20.0.0/16 via 198.19.0.254 dev fxb
  ip -n "$NS" route add 198.21.0.0/16 via 198.19.0.254 dev fxb mtu lock 1300
  ip -n "$NS" -6 route add 2001:db8:20::/48 via 2001:db8:1::fe dev fxb
  for i in 1 2 3 4; do
    ip -n "$NS" neigh replace "198.19.$i.2" lladdr "02:00:00:00:b0:0$i" dev fxb nud permanent
    ip -n "$NS" neigh replace "2001:db8:1:$i::2" lladdr "02:00:00:00:b0:0$i" dev fxb nud permanent
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac

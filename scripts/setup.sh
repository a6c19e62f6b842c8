#!/usr/bin/env bash
# Installs everything Sluice needs on Debian 12 and builds it. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh

# keepalived: the active/standby pair (VRRP); its Debian service starts only once
# /etc/keepalived/keepalived.conf exists, the tests run their own per namespace.
# etcd-server, etcd-client: a fleet's shared desired state (--store etcd://...); the tests start their own.
APT_PACKAGES=(clang llvm libbpf-dev bpftool gcc-multilib make iproute2 ethtool nftables
  wrk haproxy nginx chromium sqlite3 procps psmisc curl clang-format bird2 util-linux keepalived
  etcd-server etcd-client)
PNPM_VERSION=10.34.9

[ "$(id -u)" = 0 ] || die "run as root: the XDP program, network namespaces and bpffs need it"
command -v node >/dev/null || die "Node.js 20 is missing: install it first (apt-get install nodejs)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || die "Node.js >= 20 is required, found $(node --version)"

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  apt-get update -qq || die "apt-get update failed: is Debian's package mirror reachable?"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "apt-get install failed for: ${missing[*]}"
  # nginx: the bench's HTTP backends, each started by the bench in its own namespace. Debian's
  # package would also start a system nginx on port 80: keep it off if this run installed it.
  if [[ " ${missing[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now nginx >/dev/null 2>&1 || warn "could not disable nginx.service: stop it by hand (systemctl disable --now nginx)"
  fi
fi

# promtool (from Debian's prometheus package) checks the /metrics exposition in the tests.
# The package would also start a Prometheus server: keep only the tool.
if ! command -v promtool >/dev/null; then
  step "installing promtool (Debian package prometheus)"
  apt-get update -qq || die "apt-get update failed: is Debian's package mirror reachable?"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
    || die "apt-get install prometheus failed (needed for promtool)"
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi

# bird2: the ECMP testbed's router and each balancer node's BGP speaker, which the agent starts
# itself in its own run directory. Debian's package enables a system BIRD on /etc/bird: keep it off.
if command -v systemctl >/dev/null && [ -d /run/systemd/system ] && systemctl is-enabled bird >/dev/null 2>&1; then
  step "disabling the system BIRD service (Sluice runs its own BIRD per node)"
  systemctl disable --now bird >/dev/null 2>&1 || warn "could not disable bird.service: stop it by hand (systemctl disable --now bird)"
fi

# etcd-server: Debian's package enables a system etcd on 127.0.0.1:2379; the fleet tests run their own
# in a namespace of the test (testbed/etcd.ts), and an operator configures theirs: keep the system one off.
if command -v systemctl >/dev/null && [ -d /run/systemd/system ] && systemctl is-enabled etcd >/dev/null 2>&1; then
  step "disabling the system etcd service (the tests and the demo start their own)"
  systemctl disable --now etcd >/dev/null 2>&1 || warn "could not disable etcd.service: stop it by hand (systemctl disable --now etcd)"
fi

if [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  step "installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION" || die "npm install -g pnpm@$PNPM_VERSION failed: is the npm registry reachable?"
fi

step "installing node modules"
export npm_config_nodedir=/usr
pnpm install --frozen-lockfile --reporter=silent || die "pnpm install failed (see above)"

step "building the XDP program"
make -s -C bpf || die "building bpf/ failed (see the compiler output above)"

step "compiling the sluice command (apps/agent/dist: a call starts without the TypeScript loader)"
node apps/agent/build.mjs || die "compiling apps/agent failed (see the esbuild output above)"

step "building the web console (production build)"
bash scripts/build-console.sh >/tmp/sluice-console-build.log 2>&1 \
  || { tail -30 /tmp/sluice-console-build.log; die "building the console failed (log above)"; }

[ -e /sys/kernel/btf/vmlinux ] || warn "the kernel exposes no BTF (/sys/kernel/btf/vmlinux)"
step "set-up complete"

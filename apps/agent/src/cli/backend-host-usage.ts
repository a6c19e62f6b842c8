/* The backend-host command's usage, apart from the command so the CLI can print it without loading the data plane. */
import { DEFAULT_RUN_DIR } from './backend-host/state.js';
export const BACKEND_HOST_USAGE = `sluice backend-host attach --interface IF --address A [--address A2] [--mode xdp|tc] [--gue-port P] [--keep-mss]
      strip IPIP/IP6IP6 (and GUE to port P) addressed to A on IF, in XDP (default) or TC; set an advmss
      that fits the tunnel on the default routes (unless --keep-mss); then check
  sluice backend-host detach                       (removes what attach attached, its pinned maps and its advmss)
  sluice backend-host check [--vip V]... [--interface IF] [--address A]... [--dsr-only]
      each problem with the command that fixes it; exit 1 when there is one
      (--dsr-only: the host serves dsr services only, so no decapsulation program is needed)
      (--json: the report for \`backend-host report\`; --address names the host when nothing is attached, e.g. DSR only)
  sluice backend-host report [FILE|-]             (on the balancer: stores a host's check --json with the agent,
      shown on its backends in the console: ssh be1 sluice backend-host check --json | sluice backend-host report -)
  (all take --run-dir DIR, default ${DEFAULT_RUN_DIR}: its state and pinned maps; attach takes --object FILE, default bpf/build/decap.bpf.o)`;

export const BACKEND_HOST_VERBS = ['attach', 'detach', 'check', 'report'] as const;

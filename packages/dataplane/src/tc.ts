/*
 * Attaching a program at an interface's TC ingress or egress (a clsact qdisc
 * and one direct-action filter): ingress for interfaces whose driver runs no
 * XDP, egress for the health probes' steering program. The filter
 * is Sluice's by its handle and priority, so detaching removes it and no
 * other filter; the clsact qdisc stays (other programs may hang off it).
 * Like XDP, a filter stays attached after the process exits.
 */
import { constants as osConstants } from 'node:os';
import { DataplaneError, checked } from './errors.js';
import { BPF_TC_EGRESS, BPF_TC_F_REPLACE, BPF_TC_INGRESS, type BpfTcHook, type BpfTcOpts, libbpf } from './libbpf.js';
import { interfaceIndex } from './xdp.js';

/** Which filter is ours on an ingress hook. */
export interface TcFilterId {
  handle: number;
  priority: number;
}

/** Which side of the interface a filter hangs on. */
export type TcDirection = 'ingress' | 'egress';

const hookOf = (ifindex: number, direction: TcDirection): BpfTcHook => ({
  sz: 24,
  ifindex,
  attach_point: direction === 'ingress' ? BPF_TC_INGRESS : BPF_TC_EGRESS,
  parent: 0,
});
const optsOf = (id: TcFilterId, progFd = 0, flags = 0): BpfTcOpts => ({ sz: 32, prog_fd: progFd, flags, prog_id: 0, handle: id.handle, priority: id.priority });
const where = (ifindex: number, ifname: string, id: TcFilterId, direction: TcDirection) =>
  `ifindex ${ifindex} ${JSON.stringify(ifname)} ${direction}, handle ${id.handle} priority ${id.priority}`;

/** Attach (or replace) the filter `id` on `ifname`'s `direction` hook, creating the clsact qdisc if needed. */
export function attachTc(progFd: number, ifname: string, id: TcFilterId, direction: TcDirection): void {
  const ifindex = interfaceIndex(ifname);
  const hook = hookOf(ifindex, direction);
  const created = libbpf.bpf_tc_hook_create(hook);
  if (created < 0 && created !== -osConstants.errno.EEXIST) {
    throw new DataplaneError({ call: 'bpf_tc_hook_create', subject: `ifindex ${ifindex} ${JSON.stringify(ifname)} clsact`, errno: -created });
  }
  checked(
    'bpf_tc_attach',
    () => where(ifindex, ifname, id, direction),
    () => libbpf.bpf_tc_attach(hook, optsOf(id, progFd, BPF_TC_F_REPLACE)),
  );
}

/** Id of the program the filter `id` runs on `ifname`'s `direction` hook, or undefined when there is none. */
export function tcProgramId(ifname: string, id: TcFilterId, direction: TcDirection): number | undefined {
  const ifindex = interfaceIndex(ifname);
  const opts = optsOf(id);
  const ret = libbpf.bpf_tc_query(hookOf(ifindex, direction), opts);
  /* No clsact qdisc (EINVAL) or no such filter (ENOENT): nothing of ours is attached. */
  if (ret === -osConstants.errno.ENOENT || ret === -osConstants.errno.EINVAL) return undefined;
  if (ret < 0) throw new DataplaneError({ call: 'bpf_tc_query', subject: where(ifindex, ifname, id, direction), errno: -ret });
  return opts.prog_id;
}

/** Remove the filter `id` from `ifname`'s `direction` hook; succeeds when it is not there. */
export function detachTc(ifname: string, id: TcFilterId, direction: TcDirection): void {
  const ifindex = interfaceIndex(ifname);
  if (tcProgramId(ifname, id, direction) === undefined) return;
  checked(
    'bpf_tc_detach',
    () => where(ifindex, ifname, id, direction),
    () => libbpf.bpf_tc_detach(hookOf(ifindex, direction), optsOf(id)),
  );
}

/** Attach (or replace) the filter `id` on `ifname`'s ingress, creating the clsact qdisc if needed. */
export const attachTcIngress = (progFd: number, ifname: string, id: TcFilterId): void => attachTc(progFd, ifname, id, 'ingress');

/** Id of the program the filter `id` runs on `ifname`'s ingress, or undefined when there is none. */
export const tcIngressProgramId = (ifname: string, id: TcFilterId): number | undefined => tcProgramId(ifname, id, 'ingress');

/** Remove the filter `id` from `ifname`'s ingress; succeeds when it is not there. */
export const detachTcIngress = (ifname: string, id: TcFilterId): void => detachTc(ifname, id, 'ingress');

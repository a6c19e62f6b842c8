/*
 * Attaching the program to interfaces. Names are resolved in the calling
 * thread's network namespace, which is the LB's when the agent runs there.
 * An attached program stays attached after the agent exits: detaching is
 * always an explicit act.
 */
import { constants as osConstants } from 'node:os';
import { DataplaneError, checked } from './errors.js';
import { c, lastErrno } from './libc.js';
import { XDP_FLAGS_DRV_MODE, XDP_FLAGS_REPLACE, XDP_FLAGS_SKB_MODE, XDP_FLAGS_UPDATE_IF_NOEXIST, libbpf } from './libbpf.js';
import { programIdOfFd } from './program-info.js';

/** native: in the driver (fast path). skb: generic, after the kernel built an skb (works everywhere, slow). */
export type XdpMode = 'native' | 'skb';

const MODE_FLAGS: Record<XdpMode, number> = { native: XDP_FLAGS_DRV_MODE, skb: XDP_FLAGS_SKB_MODE };

export function interfaceIndex(ifname: string): number {
  const index = c.if_nametoindex(ifname);
  if (index === 0) {
    throw new DataplaneError({ call: 'if_nametoindex', subject: JSON.stringify(ifname), errno: lastErrno() || osConstants.errno.ENODEV });
  }
  return index;
}

const where = (ifindex: number, ifname: string, mode?: XdpMode) => `ifindex ${ifindex} ${JSON.stringify(ifname)}${mode ? `, ${mode}` : ''}`;

/** Id of the XDP program on `ifname` in `mode` (any single mode when omitted), or undefined. */
export function attachedProgramId(ifname: string, mode?: XdpMode): number | undefined {
  const ifindex = interfaceIndex(ifname);
  const id: [number] = [0];
  checked(
    'bpf_xdp_query_id',
    () => where(ifindex, ifname, mode),
    () => libbpf.bpf_xdp_query_id(ifindex, mode ? MODE_FLAGS[mode] : 0, id),
  );
  return id[0] === 0 ? undefined : id[0];
}

/** Attach; fails with EBUSY if the interface already runs an XDP program (use replaceXdp). */
export function attachXdp(progFd: number, ifname: string, mode: XdpMode = 'native'): void {
  const ifindex = interfaceIndex(ifname);
  checked(
    'bpf_xdp_attach',
    () => where(ifindex, ifname, mode),
    () => libbpf.bpf_xdp_attach(ifindex, progFd, MODE_FLAGS[mode] | XDP_FLAGS_UPDATE_IF_NOEXIST, null),
  );
}

/**
 * Swap the program running on `ifname` for `progFd` in one step: no packet
 * sees the interface without a program. XDP_FLAGS_REPLACE names the program
 * we expect to replace, so a concurrent change fails (EEXIST) instead of
 * being overwritten. Fails with ENOENT when nothing is attached.
 */
export function replaceXdp(progFd: number, ifname: string, mode: XdpMode = 'native'): void {
  const ifindex = interfaceIndex(ifname);
  const currentId = attachedProgramId(ifname, mode);
  if (currentId === undefined) {
    throw new DataplaneError({
      call: 'bpf_xdp_query_id',
      subject: where(ifindex, ifname, mode),
      errno: osConstants.errno.ENOENT,
      detail: 'no XDP program attached to replace; attach instead',
    });
  }
  if (currentId === programIdOfFd(progFd)) return;
  const oldFd = checked('bpf_prog_get_fd_by_id', `prog id ${currentId}`, () => libbpf.bpf_prog_get_fd_by_id(currentId));
  try {
    checked(
      'bpf_xdp_attach',
      () => `${where(ifindex, ifname, mode)}, replace prog id ${currentId}`,
      () => libbpf.bpf_xdp_attach(ifindex, progFd, MODE_FLAGS[mode] | XDP_FLAGS_REPLACE, { sz: 16, old_prog_fd: oldFd }),
    );
  } finally {
    c.close(oldFd);
  }
}

/** Detach whatever program runs on `ifname` in `mode`. Detaching when none is attached succeeds. */
export function detachXdp(ifname: string, mode: XdpMode = 'native'): void {
  const ifindex = interfaceIndex(ifname);
  checked(
    'bpf_xdp_detach',
    () => where(ifindex, ifname, mode),
    () => libbpf.bpf_xdp_detach(ifindex, MODE_FLAGS[mode], null),
  );
}

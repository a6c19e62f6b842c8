// The fixture namespace as bpf/test/fixture-network.sh builds it: what the
// kernel's FIB will answer, so expected frames can be written down exactly.

export const CLIENT_FACING = { name: 'fxc', mac: '02:00:00:00:0c:01' } as const;
export const BACKEND_FACING = { name: 'fxb', mac: '02:00:00:00:0b:01' } as const;

/** Permanent neighbour entries: address -> MAC. */
export const NEIGHBOURS: Record<string, string> = {
  '198.18.0.2': '02:00:00:00:c0:02',
  '198.18.0.3': '02:00:00:00:c0:03',
  '2001:db8::2': '02:00:00:00:c0:02',
  '198.19.1.2': '02:00:00:00:b0:01',
  '198.19.2.2': '02:00:00:00:b0:02',
  '198.19.3.2': '02:00:00:00:b0:03',
  '198.19.4.2': '02:00:00:00:b0:04',
  '2001:db8:1:1::2': '02:00:00:00:b0:01',
  '2001:db8:1:2::2': '02:00:00:00:b0:02',
  '2001:db8:1:3::2': '02:00:00:00:b0:03',
  '2001:db8:1:4::2': '02:00:00:00:b0:04',
};

/** The gateway on fxb to 198.20.0.0/16, 198.21.0.0/16 (MTU 1300) and 2001:db8:20::/48. */
export const GATEWAY_MAC = '02:00:00:00:b0:fe';
/** The route to 198.21.0.0/16: its MTU, below the link's. */
export const SMALL_PATH_MTU = 1300;
/** fxb's MTU (fixture-network.sh). */
export const BACKEND_LINK_MTU = 1400;

export function neighbourMac(address: string): string {
  const mac = NEIGHBOURS[address];
  if (!mac) throw new Error(`fixture network has no neighbour ${address}`);
  return mac;
}

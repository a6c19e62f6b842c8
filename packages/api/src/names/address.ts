/* Addresses as text, without zod: the CLI parses with these and starts fast (names/index.ts). Browser-safe (no node:net). */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function ipv6Groups(address: string): number[] | null {
  if (!/^[0-9a-fA-F:]+$/.test(address) || address.split('::').length > 2) return null;
  const [head = '', tail = ''] = address.split('::');
  const compressed = address.includes('::');
  const parse = (part: string) => (part ? part.split(':') : []);
  const headGroups = parse(head);
  const tailGroups = compressed ? parse(tail) : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  if (compressed ? missing < 1 : headGroups.length !== 8) return null;
  const groups = [...headGroups, ...Array<string>(compressed ? missing : 0).fill('0'), ...tailGroups];
  if (groups.some((group) => !/^[0-9a-fA-F]{1,4}$/.test(group))) return null;
  return groups.map((group) => parseInt(group, 16));
}

export function addressFamily(address: string): 4 | 6 | null {
  if (IPV4.test(address)) return 4;
  if (ipv6Groups(address)) return 6;
  return null;
}

/** One spelling per address (RFC 5952 for IPv6), so duplicates are found. */
export function canonicalAddress(address: string): string {
  if (IPV4.test(address)) return address;
  const groups = ipv6Groups(address);
  if (!groups) throw new Error(`not an IP address: ${address}`);
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) [bestStart, bestLength] = [start, end - start];
    start = end === start ? start + 1 : end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

/** "198.18.100.1:80" or "[2001:db8::1]:80". */
export function formatEndpoint(address: string, port: number): string {
  return addressFamily(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

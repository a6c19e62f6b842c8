// What a TC (sched_cls) BPF_PROG_TEST_RUN accepts as input.
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

/* BPF_PROG_TEST_RUN builds no skb from a frame shorter than Ethernet plus the IP header its type names (EINVAL). */
export function tcCanRun(input: Buffer): boolean {
  if (input.length < 14) return false;
  const type = input.readUInt16BE(12);
  return input.length >= 14 + (type === ETH_P_IP ? 20 : type === ETH_P_IPV6 ? 40 : 0);
}

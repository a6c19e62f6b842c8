/*
 * IP address strings <-> the 16 address bytes of map keys (`__be32 addr[4]`):
 * network byte order, IPv4 in the first 4 bytes and the rest zero, as the
 * header documents. The family numbers equal enum sluice_family (4, 6).
 */
import { isIP } from 'node:net';
import { SluiceFamily } from './generated/layout.js';

export type AddressFamily = typeof SluiceFamily.FAMILY_IPV4 | typeof SluiceFamily.FAMILY_IPV6;

export interface AddressBytes {
  family: AddressFamily;
  /** Always 16 bytes. */
  bytes: Buffer;
}

export function addressToBytes(ip: string): AddressBytes {
  const version = isIP(ip);
  const bytes = Buffer.alloc(16);
  if (version === 4) {
    ip.split('.').forEach((octet, i) => bytes.writeUInt8(Number(octet), i));
    return { family: SluiceFamily.FAMILY_IPV4, bytes };
  }
  if (version === 6) {
    if (ip.includes('%')) throw new TypeError(`address ${ip}: a zone index has no place in a map key`);
    writeIpv6(ip, bytes);
    return { family: SluiceFamily.FAMILY_IPV6, bytes };
  }
  throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
}

/** isIP() has validated the text, so this only has to split it. */
function writeIpv6(ip: string, out: Buffer): void {
  let text = ip;
  const words: number[] = [];
  /* A trailing dotted quad (::ffff:192.0.2.1) stands for the last two words. */
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (dotted) {
    const o = dotted[1]!.split('.').map(Number);
    tail = [(o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!];
    text = text.slice(0, -dotted[1]!.length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) =>
    part
      ? part
          .split(':')
          .filter((w) => w !== '')
          .map((w) => parseInt(w, 16))
      : [];
  const headWords = parse(head);
  const restWords = [...parse(rest), ...tail];
  if (rest === undefined) {
    words.push(...headWords, ...tail);
  } else {
    words.push(...headWords, ...new Array<number>(8 - headWords.length - restWords.length).fill(0), ...restWords);
  }
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
}

/** The inverse of addressToBytes; IPv6 in RFC 5952 form (lowercase, longest zero run as ::). */
export function bytesToAddress(family: number, bytes: Uint8Array): string {
  const need = family === SluiceFamily.FAMILY_IPV4 ? 4 : 16;
  if (bytes.length < need) throw new TypeError(`address bytes: need ${need}, got ${bytes.length}`);
  if (family === SluiceFamily.FAMILY_IPV4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (family !== SluiceFamily.FAMILY_IPV6) throw new TypeError(`address family ${family} is neither 4 nor 6`);
  const words = Array.from({ length: 8 }, (_, i) => (bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  /* Longest run of two or more zero words, first one on a tie. */
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

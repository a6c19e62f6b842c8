/*
 * The UDP generator process, run in the client namespace:
 *   node --import tsx udp-generator.ts '{"ifname":"eth0",...}'
 * Loads udp-generator.bpf.c and drives it with live-frames BPF_PROG_TEST_RUN
 * until `seconds` have passed or `maxFrames` were sent, whichever is first.
 * Prints {"frames": N, "seconds": S} on stdout.
 */
import { fileURLToPath } from 'node:url';
import { buildPacket } from '@sluice/dataplane/test-packets';
import { buildBenchBpf } from '../bpf-object.js';
import { checked, checkedPointer } from '@sluice/dataplane';
import { libbpf } from '@sluice/dataplane/libbpf';
import { testRunXdp } from '@sluice/dataplane';
import { interfaceIndex } from '@sluice/dataplane';

export interface GeneratorRequest {
  ifname: string;
  srcMac: string;
  dstMac: string;
  /** First client address; flow i uses base + i / portsPerAddr, port 1024 + i % portsPerAddr. */
  srcBase: string;
  dst: string;
  dstPort: number;
  flows: number;
  seconds: number;
  maxFrames: number;
}

export const PORTS_PER_ADDR = 32768;
const BASE_PORT = 1024;
const FRAME_BYTES = 64;
/* Frames per syscall: each live test run pays a fixed set-up cost, so not too few. */
const CHUNK = 262_144;
const SOURCE = fileURLToPath(new URL('./udp-generator.bpf.c', import.meta.url));

function ipv4Word(address: string): number {
  return address.split('.').reduce((word, octet) => word * 256 + Number(octet), 0);
}

function main(request: GeneratorRequest): { frames: number; seconds: number } {
  const object = buildBenchBpf(SOURCE);
  const obj = checkedPointer('bpf_object__open_file', object, () => libbpf.bpf_object__open_file(object, null));
  try {
    checked('bpf_object__load', object, () => libbpf.bpf_object__load(obj));
    const prog = checkedPointer('find_program', 'generate', () => libbpf.bpf_object__find_program_by_name(obj, 'generate'));
    const progFd = checked('bpf_program__fd', 'generate', () => libbpf.bpf_program__fd(prog));
    const configMap = checkedPointer('find_map', 'config', () => libbpf.bpf_object__find_map_by_name(obj, 'config'));
    const frame = buildPacket({
      src: request.srcBase,
      dst: request.dst,
      srcPort: BASE_PORT,
      dstPort: request.dstPort,
      protocol: 'udp',
      payload: Buffer.alloc(FRAME_BYTES - 42, 0x62),
      srcMac: request.srcMac,
      dstMac: request.dstMac,
    });
    /* struct generator_config: 24 bytes of settings, then the frame. */
    const value = Buffer.alloc(24 + 128);
    value.writeUInt32LE(frame.length, 0);
    value.writeUInt32LE(PORTS_PER_ADDR, 4);
    value.writeBigUInt64LE(BigInt(request.flows), 8);
    value.writeUInt32LE(BASE_PORT, 16);
    value.writeUInt32LE(ipv4Word(request.srcBase) >>> 0, 20);
    frame.copy(value, 24);
    checked('bpf_map_update_elem', 'generator config', () => libbpf.bpf_map_update_elem(libbpf.bpf_map__fd(configMap), Buffer.alloc(4), value, 0));

    const ifindex = interfaceIndex(request.ifname);
    let frames = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round(request.seconds * 1e9));
    while (frames < request.maxFrames && process.hrtime.bigint() < deadline) {
      const repeat = Math.min(CHUNK, request.maxFrames - frames);
      testRunXdp(progFd, { data: frame, repeat, ingressIfindex: ifindex, liveFrames: true });
      frames += repeat;
    }
    return { frames, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
  } finally {
    libbpf.bpf_object__close(obj);
  }
}

process.stdout.write(`${JSON.stringify(main(JSON.parse(process.argv[2]!) as GeneratorRequest))}\n`);

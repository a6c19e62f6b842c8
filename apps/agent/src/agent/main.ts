/* `sluice agent` and `sluice teardown`: argument parsing and process signals. */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PIN_DIR, type XdpMode } from '../dataplane/index.js';
import { DEFAULT_MAX_BACKENDS_PER_SERVICE } from '@sluice/api';
import { Agent } from './agent.js';
import { teardownDataplane } from './dataplane-owner.js';
import { log } from './log.js';

export const DEFAULT_OBJECT_PATH = fileURLToPath(new URL('../../../../bpf/build/sluice.bpf.o', import.meta.url));

const AGENT_OPTIONS = {
  interfaces: { type: 'string', default: '' },
  config: { type: 'string' },
  'pin-dir': { type: 'string', default: DEFAULT_PIN_DIR },
  object: { type: 'string', default: DEFAULT_OBJECT_PATH },
  'xdp-mode': { type: 'string', default: 'native' },
  'flow-table-size': { type: 'string' },
  'detach-on-exit': { type: 'boolean', default: false },
  'ready-file': { type: 'string' },
} as const;

function interfacesOf(list: string): string[] {
  const interfaces = list.split(',').map((name) => name.trim()).filter(Boolean);
  if (interfaces.length === 0) throw new Error('--interfaces is required: the balancer interfaces, comma-separated');
  return interfaces;
}

function xdpModeOf(mode: string): XdpMode {
  if (mode !== 'native' && mode !== 'skb') throw new Error(`--xdp-mode must be native or skb, not "${mode}"`);
  return mode;
}

export async function runAgent(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: AGENT_OPTIONS, strict: true });
  const flowTableSize = values['flow-table-size'] ? Number(values['flow-table-size']) : undefined;
  if (flowTableSize !== undefined && !(Number.isInteger(flowTableSize) && flowTableSize >= 1024))
    throw new Error(`--flow-table-size must be a whole number >= 1024, not "${values['flow-table-size']}"`);

  const agent = new Agent({
    objectPath: values.object,
    pinDir: values['pin-dir'],
    interfaces: interfacesOf(values.interfaces),
    xdpMode: xdpModeOf(values['xdp-mode']),
    maxEntries: flowTableSize ? { flows: flowTableSize } : undefined,
    configFile: values.config,
    detachOnExit: values['detach-on-exit'],
    maxBackendsPerService: DEFAULT_MAX_BACKENDS_PER_SERVICE,
  });
  if (!agent.reload()) process.exitCode = 1;
  if (values['ready-file']) (await import('node:fs')).writeFileSync(values['ready-file'], `${process.pid}\n`);

  process.on('SIGHUP', () => {
    log('info', 'SIGHUP: reloading the configuration');
    agent.reload();
  });
  /* Signal listeners alone do not keep Node's event loop alive. */
  const keepAlive = setInterval(() => {}, 1 << 30);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  clearInterval(keepAlive);
  agent.stop();
}

export function runTeardown(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: { interfaces: AGENT_OPTIONS.interfaces, 'pin-dir': AGENT_OPTIONS['pin-dir'], 'xdp-mode': AGENT_OPTIONS['xdp-mode'] },
    strict: true,
  });
  teardownDataplane({ pinDir: values['pin-dir'], interfaces: interfacesOf(values.interfaces), xdpMode: xdpModeOf(values['xdp-mode']) });
}

/*
 * Run by attach.test.ts inside a network namespace (`ip netns exec`), where
 * the veth pair lives. Performs each attach step and prints one JSON report
 * on stdout; the parent asserts on it. Not a test file itself.
 *
 *   node --import tsx netns-attach.child.ts <object> <veth0> <veth1>
 */
import { DataplaneError, SluiceCounter, interfaceIndex, loadDataplane } from '../src/index.js';
import { SMALL_MAPS } from './helpers.js';

const [objectPath, veth0, veth1] = process.argv.slice(2) as [string, string, string];

type Step = { ok: true; value?: unknown } | { ok: false; error: string; code?: string };
const report: Record<string, Step> = {};

function step(name: string, run: () => unknown): void {
  try {
    report[name] = { ok: true, value: run() };
  } catch (err) {
    report[name] = { ok: false, error: String(err), code: err instanceof DataplaneError ? err.code : undefined };
  }
}

const first = loadDataplane({ objectPath, maxEntries: SMALL_MAPS });
const second = loadDataplane({ objectPath, maxEntries: SMALL_MAPS });
try {
  report.ids = { ok: true, value: { first: first.programId, second: second.programId } };
  step('before', () => first.attachedProgramId(veth0) ?? null);
  step('attach', () => first.attach(veth0));
  step('afterAttach', () => first.attachedProgramId(veth0, 'native') ?? null);
  step('attachBusy', () => second.attach(veth0));
  step('replace', () => second.replace(veth0));
  step('afterReplace', () => first.attachedProgramId(veth0) ?? null);
  step('detach', () => second.detach(veth0));
  step('afterDetach', () => first.attachedProgramId(veth0) ?? null);
  step('replaceNothing', () => second.replace(veth0));
  step('attachSkb', () => first.attach(veth1, 'skb'));
  step('afterAttachSkb', () => first.attachedProgramId(veth1, 'skb') ?? null);
  step('detachSkb', () => first.detach(veth1, 'skb'));
  step('afterDetachSkb', () => first.attachedProgramId(veth1) ?? null);
  step('attachMissing', () => first.attach('sluice-nope0'));
  step('liveFrames', () => {
    const frame = Buffer.alloc(60);
    frame.fill(0xff, 0, 6);
    frame.writeUInt16BE(0x0806, 12); /* ARP: passes to the stack, harmless in this namespace */
    const passedBefore = first.maps.globalCounters.lookupSum(SluiceCounter.CNT_ACTION_PASS)!;
    first.testRun({ data: frame, repeat: 10, liveFrames: true, ingressIfindex: interfaceIndex(veth0) });
    return Number(first.maps.globalCounters.lookupSum(SluiceCounter.CNT_ACTION_PASS)! - passedBefore);
  });
} finally {
  /* Leave nothing attached even if a step failed midway (the namespace is deleted anyway). */
  for (const [ifname, mode] of [
    [veth0, 'native'],
    [veth1, 'skb'],
  ] as const) {
    try {
      first.detach(ifname, mode);
    } catch {
      /* already gone */
    }
  }
  first.close();
  second.close();
}
process.stdout.write(JSON.stringify(report));

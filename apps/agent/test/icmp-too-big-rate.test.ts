/* --icmp-too-big-rate: flag and settings file, validation, and what reaches the program's .rodata. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDataplane } from '../src/operations/dataplane-owner.js';
import { agentSettingsFromArgs } from '../src/main.js';
import { DEFAULT_ICMP_TOO_BIG_RATE, MAX_ICMP_TOO_BIG_RATE, resolveSettings } from '../src/settings.js';
import { SMALL_MAPS, objectPath, scratchBpffs } from '@sluice/dataplane/test-helpers';

/* The agent logs one line per event on stderr (log.ts): collect what `run` writes there. */
function capturingStderr<T>(run: () => T): { result: T; lines: string[] } {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: run(), lines };
  } finally {
    process.stderr.write = write;
  }
}

describe('ICMP too-big rate setting', () => {
  it("defaults to the program's own default, 1000 a second", () => {
    assert.equal(DEFAULT_ICMP_TOO_BIG_RATE, 1000);
    assert.equal(agentSettingsFromArgs([]).icmpTooBigRate, DEFAULT_ICMP_TOO_BIG_RATE);
  });

  it('takes the flag (0 = never answer, up to the cap) and the settings file key; the flag wins', () => {
    assert.equal(agentSettingsFromArgs(['--icmp-too-big-rate', '0']).icmpTooBigRate, 0);
    assert.equal(agentSettingsFromArgs(['--icmp-too-big-rate', String(MAX_ICMP_TOO_BIG_RATE)]).icmpTooBigRate, MAX_ICMP_TOO_BIG_RATE);
    assert.equal(resolveSettings({ icmpTooBigRate: 50 }, {}).icmpTooBigRate, 50);
    assert.equal(resolveSettings({ icmpTooBigRate: 50 }, { icmpTooBigRate: 7 }).icmpTooBigRate, 7);
  });

  it('refuses negative, fractional, too large and non-numeric values, naming the setting and its range', () => {
    const range = new RegExp(`icmpTooBigRate must be 0 to ${MAX_ICMP_TOO_BIG_RATE} \\(0: never answer\\)`);
    assert.throws(() => agentSettingsFromArgs(['--icmp-too-big-rate=-1']), range);
    assert.throws(() => agentSettingsFromArgs(['--icmp-too-big-rate', String(MAX_ICMP_TOO_BIG_RATE + 1)]), range);
    assert.throws(() => agentSettingsFromArgs(['--icmp-too-big-rate', '2.5']), /icmpTooBigRate must be a whole number/);
    assert.throws(() => agentSettingsFromArgs(['--icmp-too-big-rate', 'lots']), /--icmp-too-big-rate must be a number, not "lots"/);
    assert.throws(() => resolveSettings({ icmpTooBigRate: '10' }, {}), /icmpTooBigRate/);
  });

  for (const rate of [0, 7, MAX_ICMP_TOO_BIG_RATE]) {
    it(`reaches the loaded program (too_big_answers_per_second reads back ${rate} from its .rodata) and the start log`, () => {
      const bpffs = scratchBpffs();
      try {
        const { result: dp, lines } = capturingStderr(() =>
          startDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, interfaces: [], xdpMode: 'native', maxEntries: SMALL_MAPS, icmpTooBigRate: rate }),
        );
        try {
          assert.equal(dp.tunables().too_big_answers_per_second, BigInt(rate));
          const shown = rate === 0 ? 'ICMP too-big answers: never (--icmp-too-big-rate 0)' : `ICMP too-big answers: at most ${rate} a second`;
          assert.ok(
            lines.some((line) => line.endsWith(`${shown}\n`)),
            `start log shows "${shown}": ${lines.join('')}`,
          );
        } finally {
          dp.close();
        }
      } finally {
        bpffs.remove();
      }
    });
  }

  it('unset in the owner options keeps the C default (an embedder that does not pass it)', () => {
    const bpffs = scratchBpffs();
    try {
      const dp = startDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, interfaces: [], xdpMode: 'native', maxEntries: SMALL_MAPS });
      try {
        assert.equal(dp.tunables().too_big_answers_per_second, BigInt(DEFAULT_ICMP_TOO_BIG_RATE));
      } finally {
        dp.close();
      }
    } finally {
      bpffs.remove();
    }
  });
});

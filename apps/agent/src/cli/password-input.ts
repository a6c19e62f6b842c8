/*
 * Passwords for the CLI, never from argv (it shows in `ps` and shell
 * history): on a terminal, asked for with echo off; otherwise read as lines
 * from stdin (a pipe or `< FILE`), one password a line.
 */
import { createInterface } from 'node:readline';
import { UsageError } from './args.js';

async function stdinLines(): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
}

/* One line typed on the terminal, not echoed. */
function askHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const echo = (rl as unknown as { _writeToOutput(text: string): void })._writeToOutput.bind(rl);
    (rl as unknown as { _writeToOutput(text: string): void })._writeToOutput = (text) => {
      if (text.startsWith(question)) echo(question);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

/**
 * The passwords named in `prompts`, in order. A terminal is asked for each
 * (and for the last once more, to catch a typo); stdin gives one a line.
 */
export async function readPasswords(prompts: string[]): Promise<string[]> {
  if (process.stdin.isTTY) {
    const answers: string[] = [];
    for (const prompt of prompts) answers.push(await askHidden(`${prompt}: `));
    if ((await askHidden(`${prompts.at(-1)} again: `)) !== answers.at(-1)) throw new UsageError('the two entries differ; nothing was changed');
    return answers;
  }
  const lines = await stdinLines();
  if (lines.length < prompts.length || lines.slice(0, prompts.length).some((line) => line === ''))
    throw new UsageError(`stdin must hold ${prompts.length} lines: ${prompts.join(', then ')}`);
  return lines.slice(0, prompts.length);
}

/* Assertions shared by the API tests. */
import assert from 'node:assert/strict';
import { type SluiceErrorCode, sluiceCodeOf } from '@sluice/api';
import { TRPCError } from '@trpc/server';
import { type TestAgent, snapshot } from './helpers.js';

export async function expectCode(call: Promise<unknown>, code: SluiceErrorCode, message?: RegExp): Promise<string> {
  const error = await call.then(
    (value) => assert.fail(`expected ${code}, but the call succeeded with ${JSON.stringify(value)?.slice(0, 200)}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TRPCError, `expected a TRPCError, got ${error}`);
  assert.equal(sluiceCodeOf(error), code, `expected ${code}, got ${sluiceCodeOf(error)}: ${error.message}`);
  if (message) assert.match(error.message, message);
  return error.message;
}

/** The call fails with `code` and leaves store and maps exactly as they were. */
export async function expectRefusedUnchanged(
  t: Pick<TestAgent<any>, 'maps' | 'store'>,
  label: string,
  call: () => Promise<unknown>,
  code: SluiceErrorCode,
  message?: RegExp,
) {
  const before = snapshot(t);
  await expectCode(call(), code, message).catch((error: Error) => {
    error.message = `${label}: ${error.message}`;
    throw error;
  });
  assert.deepEqual(snapshot(t), before, `${label}: refused, but the store or the maps changed`);
}

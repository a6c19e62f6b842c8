/*
 * A reference for an unexpected error: the client sees only this short id,
 * the server's log has the same id beside the real message and stack, so an
 * operator can match a user's report to the log line without the browser
 * ever seeing a file path or an internal message.
 *
 * Kept per error object (WeakMap) because tRPC formats the error and calls
 * the server's onError separately, in an order it does not promise; both
 * ask here and get the same id. Web Crypto, not node:crypto: this package
 * is also bundled by the console.
 */
const references = new WeakMap<object, string>();

export function errorReference(error: object): string {
  let reference = references.get(error);
  if (!reference) {
    /* 8 hex digits: unique enough among one agent's logged errors, short enough to read out on a call. */
    reference = [...globalThis.crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(16).padStart(2, '0')).join('');
    references.set(error, reference);
  }
  return reference;
}

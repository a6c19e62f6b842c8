/*
 * What a removal cut, in the words the remove dialog used before it: open
 * connections cut, and apart from them the entries of connections that had
 * already closed (removed with the backend, they cut nothing).
 */
export function removalText(result: { flowsEnded: number; closedEntriesRemoved: number }): string {
  const open = result.flowsEnded;
  const closed = result.closedEntriesRemoved;
  const cut = open === 0 ? 'nothing was cut' : open === 1 ? '1 connection was cut' : `${open} connections were cut`;
  if (closed === 0) return cut;
  return `${cut} (${closed === 1 ? '1 closed connection entry' : `${closed} closed connection entries`} cleared)`;
}

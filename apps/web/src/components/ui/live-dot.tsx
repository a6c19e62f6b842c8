/* Whether a view is fed live: green while the subscription delivers, grey while it reconnects. */
export function LiveDot({ connected }: { connected: boolean }) {
  return (
    <span className={`live ${connected ? 'live-on' : 'live-off'}`} data-testid="live-indicator" data-live={connected ? 'on' : 'off'}>
      <span className="live-dot" aria-hidden="true" />
      {connected ? 'Live' : 'Connecting…'}
    </span>
  );
}

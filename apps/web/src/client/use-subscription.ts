/*
 * A tRPC subscription as React state: subscribe on mount, unsubscribe on
 * unmount or when the key changes. The link reconnects by itself after a
 * dropped stream; `connected` tells the page whether data is live.
 */
'use client';
import { useEffect, useRef, useState } from 'react';

export interface Unsubscribable {
  unsubscribe(): void;
}

export interface SubscriptionHandlers<T> {
  onData(value: T): void;
  onError(error: unknown): void;
  onStarted(): void;
  onConnectionStateChange?(state: { state: string }): void;
}

export interface SubscriptionState {
  connected: boolean;
  error: unknown;
}

export function useSubscription<T>(
  key: string,
  subscribe: (handlers: SubscriptionHandlers<T>) => Unsubscribable,
  onData: (value: T) => void,
): SubscriptionState {
  const [state, setState] = useState<SubscriptionState>({ connected: false, error: null });
  /* The newest callback, without resubscribing on every render. */
  const onDataRef = useRef(onData);
  onDataRef.current = onData;
  const subscribeRef = useRef(subscribe);
  subscribeRef.current = subscribe;

  // biome-ignore lint/correctness/useExhaustiveDependencies: resubscribe when the key changes only; the callbacks are read through refs
  useEffect(() => {
    const subscription = subscribeRef.current({
      onStarted: () => setState({ connected: true, error: null }),
      onData: (value) => {
        setState((s) => (s.connected && !s.error ? s : { connected: true, error: null }));
        onDataRef.current(value);
      },
      onError: (error) => setState({ connected: false, error }),
      onConnectionStateChange: ({ state: link }) => {
        if (link === 'connecting') setState((s) => (s.connected ? { ...s, connected: false } : s));
      },
    });
    return () => subscription.unsubscribe();
  }, [key]);

  return state;
}

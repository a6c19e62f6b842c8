/*
 * Drain progress per backend: the most active connections seen since the
 * drain began is the starting point, zero the goal. The agent reports only
 * the current count, so the starting point is remembered here.
 */
'use client';
import type { BackendView } from '@sluice/api';
import { useRef } from 'react';

export interface DrainProgress {
  startCount: number;
  remaining: number;
  /** 0..1 */
  fraction: number;
}

export function useDrainProgress(backends: BackendView[]): Map<string, DrainProgress> {
  const peaks = useRef(new Map<string, { startedAt: number; peak: number }>());
  const result = new Map<string, DrainProgress>();
  for (const backend of backends) {
    if (backend.state !== 'drain' || !backend.drain) {
      peaks.current.delete(backend.endpoint);
      continue;
    }
    const known = peaks.current.get(backend.endpoint);
    const peak = known && known.startedAt === backend.drain.startedAt ? Math.max(known.peak, backend.activeFlows) : backend.activeFlows;
    peaks.current.set(backend.endpoint, { startedAt: backend.drain.startedAt, peak });
    result.set(backend.endpoint, {
      startCount: peak,
      remaining: backend.activeFlows,
      fraction: peak === 0 ? 1 : (peak - backend.activeFlows) / peak,
    });
  }
  return result;
}

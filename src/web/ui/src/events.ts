import { useEffect, useState } from 'react';
import type { StationEvent } from './types';

/**
 * Live events of the station: GET /api/events (server-sent events, one per new row of the store's
 * events table; see src/web/events-sse.ts). `tick` grows when events arrive so a page can refetch
 * what it shows; a burst of events makes one tick (at most one per FLUSH_MS), not one each.
 * `events` keeps the last `keep` of them, newest last.
 */
export interface LiveEvents {
  events: StationEvent[];
  tick: number;
  connected: boolean;
}

const FLUSH_MS = 300;

export function useEvents(keep = 50): LiveEvents {
  const [state, setState] = useState<LiveEvents>({ events: [], tick: 0, connected: false });
  useEffect(() => {
    const es = new EventSource('/api/events');
    let pending: StationEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const batch = pending;
      pending = [];
      setState((s) => ({ events: [...s.events, ...batch].slice(-keep), tick: s.tick + 1, connected: true }));
    };
    es.addEventListener('hello', () => setState((s) => ({ ...s, connected: true, tick: s.tick + 1 })));
    es.onmessage = (m: MessageEvent<string>) => {
      try {
        pending.push(JSON.parse(m.data) as StationEvent);
      } catch {
        return;
      }
      timer ??= setTimeout(flush, FLUSH_MS);
    };
    es.onerror = () => setState((s) => ({ ...s, connected: false }));
    return () => {
      if (timer) clearTimeout(timer);
      es.close();
    };
  }, [keep]);
  return state;
}

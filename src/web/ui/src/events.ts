import { useEffect, useState } from 'react';

/**
 * Live events of the station: GET /api/events (server-sent events, one per new row of the store's
 * events table; see src/web/events-sse.ts). `tick` grows with every event so a page can refetch
 * what it shows; `events` keeps the last `keep` of them, newest last.
 */
export interface StationEvent {
  id: number;
  station: string;
  run_id: number | null;
  time: string;
  level: 'debug' | 'info' | 'warn' | 'error' | 'critical';
  kind: string;
  message: string;
  data: string;
}

export interface LiveEvents {
  events: StationEvent[];
  tick: number;
  connected: boolean;
}

export function useEvents(keep = 50): LiveEvents {
  const [state, setState] = useState<LiveEvents>({ events: [], tick: 0, connected: false });
  useEffect(() => {
    const es = new EventSource('/api/events');
    es.addEventListener('hello', () => setState((s) => ({ ...s, connected: true, tick: s.tick + 1 })));
    es.onmessage = (m: MessageEvent<string>) => {
      let e: StationEvent;
      try {
        e = JSON.parse(m.data) as StationEvent;
      } catch {
        return;
      }
      setState((s) => ({ events: [...s.events, e].slice(-keep), tick: s.tick + 1, connected: true }));
    };
    es.onerror = () => setState((s) => ({ ...s, connected: false }));
    return () => es.close();
  }, [keep]);
  return state;
}

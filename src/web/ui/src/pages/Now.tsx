import { useEffect, useState } from 'react';
import { getJson } from '../api';
import { useEvents } from '../events';

/** What the station is doing now (GET /api/status), refreshed on every live event. */
export function Now() {
  const live = useEvents();
  const [status, setStatus] = useState<unknown>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson('/api/status').then(setStatus, (e: Error) => setError(e.message));
  }, [live.tick]);
  if (error) return <p className="error">{error}</p>;
  return <pre>{JSON.stringify(status, null, 2)}</pre>;
}

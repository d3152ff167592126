import { useState } from 'react';
import { postJson } from './api';

/**
 * A POST from a button, with the outcome to show: the server's error text when it refuses (401
 * without login, 400 with the field, 409 when nothing can be done) or what was done.
 */
export function useAction(onDone: () => void = () => {}) {
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (label: string, path: string, body: unknown) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await postJson(path, body);
      setDone(`${label}: done`);
      onDone();
    } catch (e) {
      setError(`${label}: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return { run: (label: string, path: string, body: unknown) => void run(label, path, body), error, done, busy };
}

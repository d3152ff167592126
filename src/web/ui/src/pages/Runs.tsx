import { useEffect, useState } from 'react';
import { getJson } from '../api';
import { useEvents } from '../events';
import { TableHead } from '../parts';
import type { RunsAnswer, RunSummary } from '../types';

/** Every run of the station (and those imported from the original) with its schedules; a run's page has the rest. */
export function Runs() {
  const live = useEvents(5);
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<RunsAnswer>('/api/runs').then(
      (r) => setRuns(r.runs),
      (e: Error) => setError(e.message),
    );
  }, [live.tick]);
  if (error) return <p className="error">{error}</p>;
  if (!runs) return <p className="muted">loading…</p>;
  if (!runs.length) return <p>No runs yet.</p>;
  return (
    <table data-testid="runs">
      <TableHead columns={['run', 'station', 'date', 'comment', 'operator', 'D-Eggs', 'schedules']} />
      <tbody>
        {runs.map((r) => (
          <tr key={`${r.station}/${r.number}`}>
            <td>
              <a href={`#/run/${r.number}`}>{r.number}</a>
            </td>
            <td>{r.station}</td>
            <td>{r.date}</td>
            <td>{r.comment}</td>
            <td>{r.operator}</td>
            <td>{r.modules}</td>
            <td>
              {r.schedules.map((s) => (
                <div key={s.key}>
                  {s.key}: {s.done}/{s.total} done{s.failed ? `, ${s.failed} failed` : ''} ({s.state})
                </div>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

import { useEffect, useState } from 'react';
import { getJson } from '../api';
import { useEvents } from '../events';
import { fmtTime } from '../format';
import type { JobsAnswer, JobView, StationsAnswer, StationView } from '../types';
import { Pending, TableHead } from '../parts';
import { useAction } from '../useAction';

/**
 * Every station of the store (all of the lab on a shared PostgreSQL): what each master runs, its
 * open prompt and alerts; and the analysis jobs that failed, with their error and a Retry button.
 */
export function Stations() {
  const live = useEvents(5);
  const [stations, setStations] = useState<StationView[] | null>(null);
  const [failed, setFailed] = useState<JobView[] | null>(null);
  const [queueNote, setQueueNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [poll, setPoll] = useState(0);
  const retry = useAction(() => setPoll((n) => n + 1));

  useEffect(() => {
    // other stations' events do not come over this server's stream: look again every 5 s
    const t = setInterval(() => setPoll((n) => n + 1), 5000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    getJson<StationsAnswer>('/api/stations').then(
      (r) => setStations(r.stations),
      (e: Error) => setError(e.message),
    );
    getJson<JobsAnswer>('/api/jobs?failed=1').then(
      (r) => {
        setFailed(r.jobs);
        setQueueNote(r.queue ? null : r.message);
      },
      (e: Error) => setError(e.message),
    );
  }, [live.tick, poll]);

  if (error || !stations) return <Pending error={error} />;
  return (
    <div>
      <StationsTable stations={stations} />
      <h3>Failed analysis jobs</h3>
      {queueNote ? <p className="muted">{queueNote}</p> : null}
      {retry.error ? <p className="error">{retry.error}</p> : null}
      {retry.done ? <p>{retry.done}</p> : null}
      <FailedJobs failed={failed} queueNote={queueNote} retry={retry} />
    </div>
  );
}

function StationsTable({ stations }: { stations: StationView[] }) {
  return (
    <table data-testid="stations">
      <TableHead columns={['station', 'master', 'run', 'schedule', 'now', 'prompt', 'alerts']} />
      <tbody>
        {stations.map((s) => (
          <tr key={s.name} data-station={s.name}>
            <td>
              {s.name}
              {s.here ? ' (this one)' : ''}
            </td>
            <td>{s.master ? (s.master.alive ? 'running' : 'DEAD: restart with --recover') : 'not running'}</td>
            <td>{s.run ? `${s.run.number}: ${s.run.comment}` : '-'}</td>
            <td>{s.schedule ? `${s.schedule.key}: ${s.schedule.done}/${s.schedule.total} (${s.schedule.state})` : '-'}</td>
            <td>
              {s.current ? `[${s.current.index}] ${s.current.section} ${(100 * s.current.progress).toFixed(0)}% ${s.current.note}` : '-'}
            </td>
            <td className={s.prompt ? 'warn' : ''}>{s.prompt ? s.prompt.message : '-'}</td>
            <td>
              {s.alerts.slice(0, 3).map((a, i) => (
                <div key={i} className={a.level}>
                  {fmtTime(a.time)} {a.message}
                </div>
              ))}
              {s.modules.excluded ? <div className="warn">{`${s.modules.excluded} of ${s.modules.total} D-Eggs excluded`}</div> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FailedJobs({
  failed,
  queueNote,
  retry,
}: {
  failed: JobView[] | null;
  queueNote: string | null;
  retry: ReturnType<typeof useAction>;
}) {
  return (
    <>
      {failed && failed.length ? (
        <table data-testid="failed-jobs">
          <TableHead columns={['station', 'analysis', 'task', 'error', 'tries', '']} />
          <tbody>
            {failed.map((j) => (
              <tr key={j.id}>
                <td>{j.data.station}</td>
                <td>{`${j.data.analysis} (${j.data.number})`}</td>
                <td>{j.data.taskId}</td>
                <td className="error">{j.error}</td>
                <td>{j.retryCount + 1}</td>
                <td>
                  <button disabled={retry.busy} onClick={() => retry.run(`retry job ${j.id}`, `/api/jobs/${j.id}/retry`, {})}>
                    Retry
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : queueNote ? null : (
        <p className="muted">none</p>
      )}
    </>
  );
}

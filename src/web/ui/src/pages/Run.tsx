import { fmtTime } from '../format';
import { eventClass, ModuleLink, Pending, TableHead, TimedRow, useJson, VerdictCells } from '../parts';
import type { PageProps } from '../route-types';
import type { RunDetail } from '../types';

/** One run: its schedules and tasks, verdicts, exported files, backups and log. */
export function Run({ params }: PageProps) {
  const n = params.number;
  const { data: run, error } = useJson<RunDetail>(`/api/runs/${encodeURIComponent(n)}`);
  if (error || !run) return <Pending error={error} />;
  return (
    <div data-testid="run-page">
      <h2>
        Run {run.number}{' '}
        <span className="muted">
          {run.date} · {run.operator}
        </span>
      </h2>
      <p>{run.comment}</p>
      <p>
        <a href={`/api/runs/${run.number}/report`} target="_blank" rel="noreferrer">
          summary report (HTML)
        </a>
        {run.runFile.link && (
          <>
            {' · '}
            <a href={run.runFile.link}>run JSON</a>
          </>
        )}
      </p>
      <Verdicts run={run} />
      {run.schedules.map((s) => (
        <ScheduleTasks schedule={s} key={s.key} />
      ))}
      <section className="card">
        <h2>Files</h2>
        <ul>
          {run.files.map((f) => (
            <li key={f.path}>
              {f.what}: {f.link ? <a href={f.link}>{f.path}</a> : <code>{f.path}</code>}
            </li>
          ))}
        </ul>
      </section>
      <Backups run={run} />
      <Log run={run} />
    </div>
  );
}

function Verdicts({ run }: { run: RunDetail }) {
  return (
    <section className="card">
      <h2>Verdicts</h2>
      <table data-testid="verdicts">
        <TableHead columns={['port', 'D-Egg', 'state', 'verdict', 'why']} />
        <tbody>
          {run.verdicts.map((v) => (
            <tr key={v.port}>
              <td>{v.port}</td>
              <td>
                <ModuleLink serial={v.serial} />
              </td>
              <VerdictCells {...v} />
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ScheduleTasks({ schedule: s }: { schedule: RunDetail['schedules'][number] }) {
  return (
    <section className="card">
      <h2>
        Schedule {s.key}{' '}
        <span className="muted">
          ({s.state}) {s.file}
        </span>
      </h2>
      {s.endReason && <p>ended: {s.endReason}</p>}
      <table>
        <TableHead columns={['#', 'section', 'kind', 'state', 'attempts', 'started', 'ended', 'error']} />
        <tbody>
          {s.tasks.map((t) => (
            <tr key={t.idx} className={t.state}>
              <td>{t.idx}</td>
              <td>{t.section}</td>
              <td>{t.kind}</td>
              <td>{t.state}</td>
              <td>{t.attempts}</td>
              <td>{fmtTime(t.started_at)}</td>
              <td>{fmtTime(t.ended_at)}</td>
              <td>{t.error ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Backups({ run }: { run: RunDetail }) {
  return (
    <section className="card">
      <h2>Backups</h2>
      {run.backups.length ? (
        <table>
          <tbody>
            {run.backups.map((b) => (
              <tr key={b.id}>
                <td>{fmtTime(b.created_at)}</td>
                <td className={b.state === 'failed' ? 'fail' : undefined}>{b.state}</td>
                <td>{b.destination}</td>
                <td>{b.last_error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">none</p>
      )}
    </section>
  );
}

function Log({ run }: { run: RunDetail }) {
  return (
    <section className="card">
      <h2>Log</h2>
      <p>
        <a href={`/files/logs/run_${String(run.number).padStart(5, '0')}.log`}>the whole run log</a>{' '}
        <span className="muted">(JSON lines, as the master wrote it); the latest events:</span>
      </p>
      <table>
        <tbody>
          {run.log.map((e) => (
            <TimedRow key={e.id} className={eventClass(e.level)} time={e.time} cells={[e.level, e.kind, e.message]} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

import { useEffect, useState } from 'react';
import { getJson } from '../api';
import { useEvents } from '../events';
import { fmtDuration, fmtTime } from '../format';
import type { RunDetail, Status } from '../types';
import { useAction } from '../useAction';

/**
 * What the station is doing now: GET /api/status and the run's schedule, fetched again on every
 * live event (SSE), with the open prompt's buttons and the operator's actions.
 */
export function Now() {
  const live = useEvents();
  const [status, setStatus] = useState<Status | null>(null);
  const [run, setRun] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    let stop = false;
    void (async () => {
      try {
        const s = await getJson<Status>('/api/status');
        const r = s.run ? await getJson<RunDetail>(`/api/runs/${s.run.number}`) : null;
        if (stop) return;
        setStatus(s);
        setRun(r);
        setError(null);
      } catch (e) {
        if (!stop) setError((e as Error).message);
      }
    })();
    return () => {
      stop = true;
    };
  }, [live.tick, reload]);
  const action = useAction(() => setReload((n) => n + 1));
  const [reason, setReason] = useState('');

  if (error) return <p className="error">Cannot read the station's status: {error}</p>;
  if (!status) return <p className="muted">loading…</p>;
  const sc = status.schedule;
  const schedule = run?.schedules.find((s) => s.key === sc?.key) ?? run?.schedules[run.schedules.length - 1];
  const excluded = status.modules.filter((m) => m.state !== 'active');
  const conditions = pausedConditions(run);
  const events = lastEvents(status, live.events);

  return (
    <div data-testid="now">
      <section className="card">
        <h2>
          Station {status.station}
          {status.run ? ` · run ${status.run.number}` : ''}
        </h2>
        {status.run && (
          <p>
            {status.run.date}: {status.run.comment}
          </p>
        )}
        <p data-testid="master">
          master:{' '}
          {status.master ? (
            status.master.alive ? (
              <span className="pass">running ({status.master.holder})</span>
            ) : (
              <span className="fail">not answering (crashed?): restart it with --recover</span>
            )
          ) : (
            'not running'
          )}
          <span className="muted"> · live updates {live.connected ? 'on' : 'reconnecting…'}</span>
        </p>
        {!status.run && <p>No run yet: start one with `fat run new --comment TEXT`.</p>}
      </section>

      {status.prompt && <PromptBox prompt={status.prompt} onAnswered={() => setReload((n) => n + 1)} />}

      {sc && (
        <section className="card">
          <h2>
            Schedule {sc.key} <span className="muted">({sc.state})</span>
          </h2>
          <div className="progress" title={`${sc.done}/${sc.total}`}>
            <div style={{ width: `${sc.total ? (100 * sc.done) / sc.total : 0}%` }} />
          </div>
          <p data-testid="progress">
            {sc.done}/{sc.total} tasks done
            {sc.state !== 'completed' && ` · about ${fmtDuration(sc.remainingS)} left, ETA ${fmtTime(sc.eta)}`}
            {sc.endReason && ` · stopped: ${sc.endReason}`}
          </p>
          <p data-testid="current-task">
            {sc.current ? (
              <>
                now:{' '}
                <b>
                  [{sc.current.index}] {sc.current.section}
                </b>{' '}
                ({sc.current.kind}) {(100 * sc.current.progress).toFixed(0)}% {sc.current.note}
              </>
            ) : (
              <span className="muted">no task running</span>
            )}
          </p>
          <p data-testid="next-person">
            {sc.nextPerson ? (
              <>
                a person is next needed around <b>{fmtTime(sc.nextPerson.at)}</b> for [{sc.nextPerson.idx}] {sc.nextPerson.what}
              </>
            ) : (
              <span className="muted">no person needed for the rest of the schedule</span>
            )}
          </p>
          {sc.failed.map((f) => (
            <p key={f.index} className="fail">
              FAILED [{f.index}] {f.section}: {f.error}
            </p>
          ))}
          {schedule && (
            <table data-testid="schedule">
              <thead>
                <tr>
                  <th>#</th>
                  <th>section</th>
                  <th>kind</th>
                  <th>state</th>
                  <th>started</th>
                  <th>ended</th>
                </tr>
              </thead>
              <tbody>
                {schedule.tasks.map((t) => (
                  <tr
                    key={t.idx}
                    className={t.idx === sc.current?.index ? 'current' : t.state}
                    data-current={t.idx === sc.current?.index ? 'true' : undefined}
                  >
                    <td>{t.idx}</td>
                    <td>{t.section}</td>
                    <td>{t.kind}</td>
                    <td>
                      {t.state}
                      {t.state === 'running' ? ` ${(100 * t.progress).toFixed(0)}%` : ''}
                    </td>
                    <td>{fmtTime(t.started_at)}</td>
                    <td>{fmtTime(t.ended_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}

      <section className="card">
        <h2>Operator</h2>
        {status.operator?.paused && (
          <p className="marginal" data-testid="paused">
            {status.operator.paused.inEffect ? 'PAUSED' : 'pause requested'} by {status.operator.paused.by}
            {status.operator.paused.reason ? `: ${status.operator.paused.reason}` : ''}
          </p>
        )}
        {conditions && (
          <p className="marginal" data-testid="conditions">
            held by the conditions: {conditions}
          </p>
        )}
        {status.slack && status.slack.pending > 0 && (
          <p className="marginal" data-testid="slack-backlog">
            Slack: {status.slack.pending} message(s) waiting, the oldest for {Math.round(status.slack.oldestAgeS / 60)} min
            {status.slack.lastError ? ` (last error: ${status.slack.lastError})` : ''}; on the station, <code>fat notify flush</code> sends
            them
          </p>
        )}
        {status.operator?.pending.map((p) => (
          <p key={p.id} className="muted">
            pending: {p.action} {p.target ?? ''} by {p.by}
            {p.reason ? `: ${p.reason}` : ''}
          </p>
        ))}
        <p>
          <input
            aria-label="reason"
            placeholder="reason (pause, abort, exclude)"
            value={reason}
            size={40}
            onChange={(e) => setReason(e.target.value)}
          />{' '}
          <button type="button" disabled={action.busy} onClick={() => action.run('Pause', '/api/master/pause', { reason })}>
            Pause
          </button>{' '}
          <button type="button" disabled={action.busy} onClick={() => action.run('Resume', '/api/master/resume', {})}>
            Resume
          </button>{' '}
          <button type="button" disabled={action.busy} onClick={() => action.run('Abort', '/api/master/abort', { reason })}>
            Abort
          </button>
        </p>
        {action.error && (
          <p className="error" role="alert" data-testid="action-error">
            {action.error}
          </p>
        )}
        {action.done && <p className="pass">{action.done}</p>}
        <table data-testid="modules">
          <thead>
            <tr>
              <th>port</th>
              <th>D-Egg</th>
              <th>state</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {status.modules.map((m) => (
              <tr key={m.port} className={m.state !== 'active' ? 'failed' : undefined}>
                <td>{m.port}</td>
                <td>
                  <a href={`#/module/${encodeURIComponent(m.degg_serial)}`}>{m.degg_serial}</a>
                </td>
                <td>
                  {m.state}
                  {m.state_reason ? `: ${m.state_reason}` : ''}
                </td>
                <td>
                  {m.state === 'active' && (
                    <button
                      type="button"
                      disabled={action.busy}
                      onClick={() =>
                        action.run(`Exclude ${m.degg_serial}`, `/api/modules/${encodeURIComponent(m.degg_serial)}/exclude`, { reason })
                      }
                    >
                      Exclude
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <p data-testid="excluded">
          {excluded.length ? `excluded: ${excluded.map((m) => `${m.degg_serial} (port ${m.port})`).join(', ')}` : 'no module excluded'}
        </p>
      </section>

      <section className="card">
        <h2>Last events</h2>
        <table data-testid="events">
          <tbody>
            {events.map((e, i) => (
              <tr key={i} className={e.level === 'error' || e.level === 'critical' ? 'failed' : undefined}>
                <td className="muted">{fmtTime(e.time)}</td>
                <td>{e.level}</td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

/** The condition pause in effect: the last conditions.paused event not followed by conditions.resumed. */
function pausedConditions(run: RunDetail | null): string | null {
  let open: string | null = null;
  for (const e of run?.log ?? []) {
    if (e.kind === 'conditions.paused') open = e.message;
    else if (e.kind === 'conditions.resumed') open = null;
  }
  return open;
}

function lastEvents(status: Status, live: Array<{ time: string; level: string; message: string }>) {
  const all = [...status.events, ...live.filter((e) => e.level !== 'debug')];
  const seen = new Set<string>();
  const out = [];
  for (const e of all.reverse()) {
    const k = `${e.time}\u0000${e.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(e);
    if (out.length >= 15) break;
  }
  return out;
}

function PromptBox({ prompt, onAnswered }: { prompt: NonNullable<Status['prompt']>; onAnswered: () => void }) {
  const action = useAction(onAnswered);
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  return (
    <section className="card prompt" data-testid="prompt">
      <h2>A person is needed</h2>
      <p className="prompt-message">{prompt.message}</p>
      <p className="muted">opened {fmtTime(prompt.openedAt)}</p>
      {!asking ? (
        <p>
          <button type="button" disabled={action.busy} onClick={() => action.run('Yes', '/api/prompt/answer', { answer: 'yes' })}>
            Yes
          </button>{' '}
          <button type="button" disabled={action.busy} onClick={() => setAsking(true)}>
            No
          </button>
        </p>
      ) : (
        <p>
          <input
            aria-label="why not"
            placeholder="why not? (the run stops)"
            value={reason}
            size={50}
            onChange={(e) => setReason(e.target.value)}
          />{' '}
          <button type="button" disabled={action.busy} onClick={() => action.run('No', '/api/prompt/answer', { answer: 'no', reason })}>
            Answer No
          </button>{' '}
          <button type="button" onClick={() => setAsking(false)}>
            Cancel
          </button>
        </p>
      )}
      {action.error && (
        <p className="error" role="alert">
          {action.error}
        </p>
      )}
    </section>
  );
}

import { useEffect, useState } from 'react';
import { getJson } from '../api';
import { useEvents } from '../events';
import { fmtDuration, fmtTime } from '../format';
import type { RunDetail, Status } from '../types';
import { eventClass, ModuleLink, ModuleState, TableHead, TextInput, TimedRow } from '../parts';
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
  const conditions = pausedConditions(run);
  const events = lastEvents(status, live.events);

  return (
    <div data-testid="now">
      <StationCard status={status} connected={live.connected} />

      {status.prompt && <PromptBox prompt={status.prompt} onAnswered={() => setReload((n) => n + 1)} />}

      {sc && <ScheduleCard sc={sc} schedule={schedule} />}

      <OperatorCard status={status} conditions={conditions} action={action} reason={reason} setReason={setReason} />

      <EventsCard events={events} />
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
          <TextInput label="why not" placeholder="why not? (the run stops)" value={reason} size={50} onChange={setReason} />{' '}
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

function StationCard({ status, connected }: { status: Status; connected: boolean }) {
  return (
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
        <span className="muted"> · live updates {connected ? 'on' : 'reconnecting…'}</span>
      </p>
      {!status.run && <p>No run yet: start one with `fat run new --comment TEXT`.</p>}
    </section>
  );
}

type ScheduleStatus = NonNullable<Status['schedule']>;

function ScheduleCard({ sc, schedule }: { sc: ScheduleStatus; schedule: RunDetail['schedules'][number] | undefined }) {
  return (
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
      {sc.state !== 'completed' && (
        <p className="muted" data-testid="eta-basis">
          estimates: {sc.basis} (the catalogue's fixed estimates say {fmtDuration(sc.catalogueRemainingS)})
        </p>
      )}
      {sc.failed.map((f) => (
        <p key={f.index} className="fail">
          FAILED [{f.index}] {f.section}: {f.error}
        </p>
      ))}
      {schedule && (
        <table data-testid="schedule">
          <TableHead columns={['#', 'section', 'kind', 'state', 'started', 'ended']} />
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
  );
}

type Action = ReturnType<typeof useAction>;

interface OperatorProps {
  status: Status;
  conditions: string | null;
  action: Action;
  reason: string;
  setReason: (reason: string) => void;
}

function OperatorCard({ status, conditions, action, reason, setReason }: OperatorProps) {
  const excluded = status.modules.filter((m) => m.state !== 'active');
  return (
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
        <TextInput label="reason" placeholder="reason (pause, abort, exclude)" value={reason} size={40} onChange={setReason} />{' '}
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
      <ModulesTable modules={status.modules} action={action} reason={reason} />
      <p data-testid="excluded">
        {excluded.length ? `excluded: ${excluded.map((m) => `${m.degg_serial} (port ${m.port})`).join(', ')}` : 'no module excluded'}
      </p>
    </section>
  );
}

function ModulesTable({ modules, action, reason }: { modules: Status['modules']; action: Action; reason: string }) {
  return (
    <table data-testid="modules">
      <TableHead columns={['port', 'D-Egg', 'state', '']} />
      <tbody>
        {modules.map((m) => (
          <tr key={m.port} className={m.state !== 'active' ? 'failed' : undefined}>
            <td>{m.port}</td>
            <td>
              <ModuleLink serial={m.degg_serial} />
            </td>
            <td>
              <ModuleState state={m.state} reason={m.state_reason} />
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
  );
}

function EventsCard({ events }: { events: ReturnType<typeof lastEvents> }) {
  return (
    <section className="card">
      <h2>Last events</h2>
      <table data-testid="events">
        <tbody>
          {events.map((e, i) => (
            <TimedRow key={i} className={eventClass(e.level)} time={e.time} cells={[e.level, e.message]} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

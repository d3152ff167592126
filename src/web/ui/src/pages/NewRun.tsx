import { useState, type FormEvent } from 'react';
import { postJson } from '../api';
import { useSession } from '../Login';
import { Pending, TableHead, TextArea, useJson } from '../parts';
import type { PageProps } from '../route-types';
import type { LogbookEntry, NewRunForm } from '../types';

/**
 * The seed's "Start New Run" logbook form, filled in from the run (latest, or #/new-run/N): the
 * shifter reads it, confirms the laser power supply, adds remarks and posts it to the logbook.
 */
export function NewRun({ params }: PageProps) {
  const session = useSession();
  const q = params.run ? `?run=${encodeURIComponent(params.run)}` : '';
  const { data: form, error } = useJson<NewRunForm>(`/api/logbook/new-run-form${q}`);
  const [laser, setLaser] = useState(false);
  const [remarks, setRemarks] = useState('');
  const [posted, setPosted] = useState<LogbookEntry | null>(null);
  const [postError, setPostError] = useState<string | null>(null);

  if (error || !form) return <Pending error={error} />;

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setPostError(null);
    try {
      setPosted(await postJson<LogbookEntry>('/api/logbook/new-run-form', { run: form.run, laserPowerSupplyOn: laser, remarks }));
    } catch (e) {
      setPostError((e as Error).message);
    }
  };

  return (
    <form data-testid="new-run-form" onSubmit={(e) => void submit(e)}>
      <h2>Start New Run: run {form.run}</h2>
      <RunFacts form={form} />
      <FormPreflight form={form} />
      <FormModules form={form} />
      <FormChecks form={form} />
      <section className="card" style={{ display: 'grid', gap: '0.4em', maxWidth: '760px' }}>
        <label>
          <input type="checkbox" aria-label="laser power supply on" checked={laser} onChange={(e) => setLaser(e.target.checked)} /> The
          laser power supply is on
        </label>
        <TextArea label="remarks" rows={4} placeholder="Remarks (Markdown)" value={remarks} onChange={setRemarks} />
        {posted ? (
          <p className="pass" data-testid="form-posted">
            Posted to the logbook as entry #{posted.id}. <a href="#/logbook">Open the logbook</a>
          </p>
        ) : session ? (
          <div>
            <button type="submit">Confirm and post to the logbook</button> {postError && <span className="error">{postError}</span>}
          </div>
        ) : (
          <p className="muted">Log in (top right) to confirm the form.</p>
        )}
      </section>
    </form>
  );
}

function RunFacts({ form }: { form: NewRunForm }) {
  return (
    <section className="card">
      <table>
        <tbody>
          <tr>
            <th>Run number</th>
            <td data-testid="form-run">{form.run}</td>
          </tr>
          <tr>
            <th>Date</th>
            <td data-testid="form-date">{form.date}</td>
          </tr>
          <tr>
            <th>Comment</th>
            <td data-testid="form-comment">{form.comment}</td>
          </tr>
          <tr>
            <th>Station</th>
            <td>{form.station}</td>
          </tr>
          <tr>
            <th>Run file</th>
            <td>
              <code>{form.runFile}</code>
            </td>
          </tr>
          <tr>
            <th>Schedule file</th>
            <td data-testid="form-schedule">{form.schedule ? <code>{form.schedule.file}</code> : 'the master has not started yet'}</td>
          </tr>
          <tr>
            <th>Shifters</th>
            <td data-testid="form-shifters">{form.shifters.join(', ') || '–'}</td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}

/** The `fat preflight` walk of this run: each step of the Quick Check list with its result. */
function FormPreflight({ form }: { form: NewRunForm }) {
  const p = form.preflight;
  return (
    <section className="card">
      <h2>
        Quick Check list (fat preflight){' '}
        {p ? (
          <span className={p.state === 'done' ? 'pass' : p.state === 'failed' ? 'fail' : 'info'}>
            ({p.state === 'done' ? 'done' : p.state === 'failed' ? 'stopped' : 'walking'}, by {p.operator})
          </span>
        ) : (
          <span className="muted">(not walked for this run: `fat preflight`)</span>
        )}
      </h2>
      {p && (
        <table data-testid="form-preflight">
          <TableHead columns={['#', 'Step', 'Result', 'What it found']} />
          <tbody>
            {p.steps.map((s, i) => (
              <tr key={s.step} data-step={s.step}>
                <td>{i + 1}</td>
                <td>{s.title}</td>
                <td className={s.state ?? 'muted'}>
                  {s.state === 'pass' ? 'OK' : s.state === 'warn' ? 'warning' : s.state === 'fail' ? 'FAILED' : 'not reached'}
                </td>
                <td>{s.message ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function FormModules({ form }: { form: NewRunForm }) {
  return (
    <section className="card">
      <h2>D-Eggs ({form.modules.length})</h2>
      <table data-testid="form-modules">
        <TableHead columns={['Port', 'D-Egg', 'Wire pair', 'State']} />
        <tbody>
          {form.modules.map((m) => (
            <tr key={m.port}>
              <td>{m.port}</td>
              <td>{m.serial}</td>
              <td>{m.wirePair}</td>
              <td>{m.state}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function FormChecks({ form }: { form: NewRunForm }) {
  const failed = form.checks.filter((c) => c.verdict === 'fail').length;
  return (
    <section className="card">
      <h2>
        Peripheral checks{' '}
        {form.checks.length ? (
          <span className={failed ? 'fail' : 'pass'}>
            ({form.checks.length - failed} of {form.checks.length} passed)
          </span>
        ) : (
          <span className="error">(none recorded: run `fat check peripherals`)</span>
        )}
      </h2>
      <table data-testid="form-checks">
        <tbody>
          {form.checks.map((c) => (
            <tr key={`${c.check}/${c.subject}`}>
              <td>{c.check}</td>
              <td>{c.subject}</td>
              <td className={c.verdict}>{c.verdict}</td>
              <td>{c.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

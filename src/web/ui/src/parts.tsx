import { useEffect, useState, type ReactNode } from 'react';
import type { EChartsOption } from 'echarts';
import { getJson } from './api';
import { Chart } from './Chart';
import { fmtTime, verdictClass } from './format';

/**
 * Small pieces the pages share: reading one API answer, the loading and error lines, table heads,
 * a module's state and link, verdict cells, timed (event) rows, a chart or its "nothing yet" line.
 */

/** GET `url` again whenever a dependency changes; the last answer stays shown while the next loads. */
export function useJson<T>(url: string, deps: readonly unknown[] = []): { data: T | null; error: string | null } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<T>(url).then(setData, (e: Error) => setError(e.message));
  }, [url, ...deps]);
  return { data, error };
}

/** What a page shows before its answer is there: the error, or "loading…". */
export function Pending({ error }: { error: string | null }) {
  return error ? <p className="error">{error}</p> : <p className="muted">loading…</p>;
}

/** A table's head row; an empty string gives an empty cell. */
export function TableHead({ columns }: { columns: readonly string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) => (
          <th key={i}>{c || undefined}</th>
        ))}
      </tr>
    </thead>
  );
}

/** A module's state, with its reason when it has one. */
export function ModuleState({ state, reason }: { state: string; reason: string | null | undefined }) {
  return (
    <>
      {state}
      {reason ? `: ${reason}` : ''}
    </>
  );
}

/** A link to a D-Egg's page. */
export function ModuleLink({ serial }: { serial: string }) {
  return <a href={`#/module/${encodeURIComponent(serial)}`}>{serial}</a>;
}

/** A module's state, verdict and the verdict's reasons, as three cells of a row. */
export function VerdictCells(v: { state: string; stateReason: string | null | undefined; verdict: string; reasons: readonly string[] }) {
  return (
    <>
      <td>
        <ModuleState state={v.state} reason={v.stateReason} />
      </td>
      <td className={verdictClass(v.verdict)}>{v.verdict}</td>
      <td>{v.reasons.join('; ')}</td>
    </>
  );
}

/** A row of something that happened: its time (muted), then one cell each. */
export function TimedRow({ time, cells, className }: { time: string; cells: readonly ReactNode[]; className?: string }) {
  return (
    <tr className={className}>
      <td className="muted">{fmtTime(time)}</td>
      {cells.map((c, i) => (
        <td key={i}>{c}</td>
      ))}
    </tr>
  );
}

/** The row class of an event: errors stand out. */
export function eventClass(level: string): string | undefined {
  return level === 'error' || level === 'critical' ? 'failed' : undefined;
}

/** A chart, or the line that says there is none yet. */
export function ChartOr({ option, testId, empty }: { option: EChartsOption | null; testId: string; empty: ReactNode }) {
  return option ? <Chart option={option} testId={testId} /> : <p className="muted">{empty}</p>;
}

/** Notes, one muted line each. */
export function Notes({ notes }: { notes: readonly string[] | undefined }) {
  return (
    <>
      {notes?.map((n) => (
        <p key={n} className="muted">
          {n}
        </p>
      ))}
    </>
  );
}

/** A text field whose value is kept in the page's state. */
export function TextInput({
  label,
  placeholder,
  value,
  size,
  onChange,
}: {
  label: string;
  placeholder: string;
  value: string;
  size?: number;
  onChange: (v: string) => void;
}) {
  return <input aria-label={label} placeholder={placeholder} value={value} size={size} onChange={(e) => onChange(e.target.value)} />;
}

/** A text area whose value is kept in the page's state. */
export function TextArea({
  label,
  placeholder,
  value,
  rows,
  onChange,
}: {
  label: string;
  placeholder: string;
  value: string;
  rows: number;
  onChange: (v: string) => void;
}) {
  return <textarea aria-label={label} rows={rows} placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />;
}

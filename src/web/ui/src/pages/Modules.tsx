import { useEffect, useState } from 'react';
import { getJson } from '../api';
import { useEvents } from '../events';
import { fmtNum, verdictClass } from '../format';
import type { ModulesAnswer } from '../types';

/** The D-Eggs of the latest run as a grid: port, serial, verdict, state, the headline quantities (HV at 1e7, dark rate, SPE height), temperature. */
export function Modules() {
  const live = useEvents(5);
  const [grid, setGrid] = useState<ModulesAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<ModulesAnswer>('/api/modules').then(
      (g) => {
        setGrid(g);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  }, [live.tick]);
  if (error) return <p className="error">{error}</p>;
  if (!grid) return <p className="muted">loading…</p>;
  if (grid.run === null) return <p>No run yet: the modules appear once `fat run new` has made one.</p>;
  return (
    <div>
      <h2>D-Eggs of run {grid.run}</h2>
      <div className="grid" data-testid="module-grid">
        {grid.modules.map((m) => (
          <a key={m.port} href={`#/module/${encodeURIComponent(m.serial)}`} className={`tile ${m.state}`} data-testid="module-tile">
            <div>
              <b>{m.serial}</b> <span className="muted">port {m.port}</span>
            </div>
            <div className={verdictClass(m.verdict)}>
              verdict: <b>{m.verdict}</b>
            </div>
            <div>
              state: {m.state}
              {m.stateReason ? ` (${m.stateReason})` : ''}
            </div>
            {m.headlines.map((h) => (
              <div key={h.key} data-testid={`headline-${h.key}`}>
                {h.title}: {fmtNum(h.perPmt.LowerPmt)} / {fmtNum(h.perPmt.UpperPmt)} {h.units}
              </div>
            ))}
            <div>temperature: {m.temperatureC === null ? '–' : `${m.temperatureC.toFixed(1)} °C`}</div>
          </a>
        ))}
      </div>
      <p className="muted">values: lower / upper PMT, latest measurement of this run</p>
    </div>
  );
}

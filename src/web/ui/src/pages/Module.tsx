import { useEffect, useMemo, useState } from 'react';
import { getJson } from '../api';
import { fmtNum, fmtTime, verdictClass } from '../format';
import { ChartOr, Notes, Pending, TableHead, useJson, VerdictCells } from '../parts';
import type { PageProps } from '../route-types';
import type { ModuleHistory, SpeAnswer } from '../types';
import { gainChartOption } from '../../../../report/charts';
import { histogramChartOption, timeChartOption, xyChartOption } from '../../../../report/series-charts';

/** One D-Egg across runs: identity, verdicts, results, and its plots (the report's chart definitions). */
export function Module({ params }: PageProps) {
  const serial = params.serial;
  const { data: h, error } = useJson<ModuleHistory>(`/api/modules/${encodeURIComponent(serial)}`);
  const charts = useMemo(() => (h ? moduleCharts(h) : null), [h]);
  const { spe, speChart } = useSpe(serial);
  if (error || !h || !charts) return <Pending error={error} />;
  const latest = h.runs[0];
  return (
    <div data-testid="module-page">
      <h2>
        D-Egg {h.serial}
        {latest && (
          <span className="muted">
            {' '}
            · port {latest.port} · ICM {latest.icmId} · mainboard {latest.mainboardId} · FPGA {latest.fpgaVersion}
          </span>
        )}
      </h2>
      <ModuleRuns h={h} />
      <section className="card">
        <h2>Gain against HV (run {latest?.run.runNumber})</h2>
        <ChartOr option={charts.gain} testId="gain-chart" empty="no gain scan yet" />
        <Notes notes={latest?.gainNotes} />
      </section>
      <section className="card">
        <h2>Dark rate against temperature</h2>
        <ChartOr option={charts.dark} testId="darkrate-chart" empty="no dark rate measured yet" />
      </section>
      <section className="card">
        <h2>Linearity</h2>
        <ChartOr option={charts.linearity} testId="linearity-chart" empty="no linearity measured yet" />
      </section>
      <section className="card">
        <h2>Sensors</h2>
        <ChartOr option={charts.sensors} testId="sensor-chart" empty="no sensor readings yet" />
      </section>
      <section className="card">
        <h2>SPE charge histograms (last point of the latest gain scan)</h2>
        <ChartOr option={speChart} testId="spe-chart" empty={spe ? 'no SPE histogram' : 'loading…'} />
        <Notes notes={spe?.notes} />
      </section>
      {h.runs.map((r) => (
        <RunResults r={r} key={r.run.runNumber} />
      ))}
    </div>
  );
}

function moduleCharts(h: ModuleHistory) {
  const latest = h.runs[0];
  const gain = latest?.gain.length ? gainChartOption(`${h.serial}: gain against HV`, latest.gain) : null;
  const darkSeries = new Map<string, Array<[number, number]>>();
  for (const d of h.darkVsTemperature) {
    const k = `${d.pmt} run ${d.run}`;
    darkSeries.set(k, [...(darkSeries.get(k) ?? []), [d.temperatureC, d.rateHz]]);
  }
  const dark = darkSeries.size
    ? xyChartOption(
        `${h.serial}: dark rate against temperature`,
        { x: 'mainboard temperature [°C]', y: 'dark rate [Hz]' },
        [...darkSeries].map(([name, points]) => ({ name, points })),
      )
    : null;
  const lin = h.linearity.slice(0, 4);
  const maxPe = Math.max(0, ...lin.flatMap((l) => l.points.map((p) => p.expectedPe)));
  const linearity = lin.length
    ? xyChartOption(`${h.serial}: linearity`, { x: 'expected PE', y: 'observed PE' }, [
        ...lin.map((l) => ({ name: `${l.pmt} run ${l.run}`, points: l.points.map((p) => [p.expectedPe, p.observedPe] as const) })),
        { name: 'ideal', line: true, points: [[0, 0] as const, [maxPe, maxPe] as const] },
      ])
    : null;
  const temps = h.sensors.filter((s) => s.temperatureC !== undefined).map((s) => [s.at, s.temperatureC!] as const);
  const press = h.sensors.filter((s) => s.pressureHpa !== undefined).map((s) => [s.at, s.pressureHpa!] as const);
  const sensors = temps.length
    ? timeChartOption(`${h.serial}: mainboard temperature`, 'temperature [°C]', [{ name: 'mainboard temperature', points: temps }])
    : press.length
      ? timeChartOption(`${h.serial}: pressure`, 'pressure [hPa]', [{ name: 'pressure', points: press }])
      : null;
  return { gain, dark, linearity, sensors };
}

/** The SPE histograms of the latest gain scan, and their chart. */
function useSpe(serial: string) {
  const [spe, setSpe] = useState<SpeAnswer | null>(null);
  useEffect(() => {
    getJson<SpeAnswer>(`/api/modules/${encodeURIComponent(serial)}/spe`).then(setSpe, (e: Error) =>
      setSpe({ serial, run: 0, histograms: [], notes: [e.message] }),
    );
  }, [serial]);
  const speChart = useMemo(
    () =>
      spe?.histograms.length
        ? histogramChartOption(
            `${serial}: SPE charge, run ${spe.run}`,
            'charge [pC]',
            spe.histograms.map((x) => ({
              name: `${x.pmt} at ${x.hvVolts.toFixed(0)} V (${x.entries} waveforms)`,
              centres: x.centresPc,
              counts: x.counts,
            })),
          )
        : null,
    [spe, serial],
  );
  return { spe, speChart };
}

function ModuleRuns({ h }: { h: ModuleHistory }) {
  return (
    <section className="card">
      <h2>Runs</h2>
      <table data-testid="module-runs">
        <TableHead columns={['run', 'station', 'date', 'state', 'verdict', 'why']} />
        <tbody>
          {h.runs.map((r) => (
            <tr key={`${r.run.station}/${r.run.runNumber}`} data-testid="module-run">
              <td>
                <a href={`#/run/${r.run.runNumber}`}>{r.run.runNumber}</a>
              </td>
              <td>{r.run.station}</td>
              <td>{r.run.date}</td>
              <VerdictCells {...r} />
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function RunResults({ r }: { r: ModuleHistory['runs'][number] }) {
  return (
    <section className="card">
      <h2>Results of run {r.run.runNumber}</h2>
      <table>
        <TableHead columns={['quantity', 'PMT', 'value', 'verdict', 'why', 'when']} />
        <tbody>
          {r.results.map((x) => (
            <tr key={x.id} className={x.superseded ? 'muted' : undefined}>
              <td>
                {x.name}
                {x.superseded ? ' (superseded)' : ''}
              </td>
              <td>{x.pmt ?? ''}</td>
              <td>
                {fmtNum(x.value)} {x.units}
              </td>
              <td className={verdictClass(x.verdict)}>{x.verdict}</td>
              <td>{x.reason}</td>
              <td className="muted">{fmtTime(x.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

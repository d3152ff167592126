import { useMemo } from 'react';
import { useEvents } from '../events';
import { ChartOr, Pending, TimedRow, useJson } from '../parts';
import type { Environment as Env } from '../types';
import { timeChartOption, type TimeSeries } from '../../../../report/series-charts';

function groupBy<T>(xs: readonly T[], key: (x: T) => string, point: (x: T) => readonly [string, number]): TimeSeries[] {
  const m = new Map<string, Array<readonly [string, number]>>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), point(x)]);
  return [...m].map(([name, points]) => ({ name, points }));
}

/** Freezer temperature, thermometer channels and humidity over time, with set points and allowed bands. */
export function Environment() {
  const live = useEvents(5);
  const { data: env, error } = useJson<Env>('/api/environment', [live.tick]);
  const charts = useMemo(() => (env ? environmentCharts(env) : null), [env]);
  if (error || !env || !charts) return <Pending error={error} />;
  return (
    <div data-testid="environment">
      <section className="card">
        <h2>Allowed bands (station file)</h2>
        <p>
          humidity at most {env.bands.humidityMaxPct} % · freezer air within ±{env.bands.freezerBandC} °C of its set point once reached ·
          resume after {env.bands.resumeAfterS} s back in band
        </p>
      </section>
      <section className="card">
        <ChartOr
          option={charts.temperature}
          testId="freezer-chart"
          empty="no thermometer readings or set points yet (`fat check peripherals` records them)"
        />
      </section>
      <section className="card">
        <ChartOr option={charts.humidity} testId="humidity-chart" empty="no humidity readings yet" />
      </section>
      <section className="card">
        <ChartOr option={charts.mainboard} testId="mainboard-chart" empty="no mainboard temperatures yet" />
      </section>
      <section className="card">
        <h2>Condition pauses</h2>
        {env.conditions.length ? (
          <table>
            <tbody>
              {env.conditions.map((c, i) => (
                <TimedRow key={i} time={c.at} cells={[c.kind, c.message]} />
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">none</p>
        )}
      </section>
    </div>
  );
}

function environmentCharts(env: Env) {
  const sp: TimeSeries = { name: 'freezer set point', step: true, points: env.setPoints.map((s) => [s.at, s.setPointC] as const) };
  const last = env.setPoints[env.setPoints.length - 1];
  const temp = [
    ...groupBy(
      env.thermometer,
      (t) => t.name,
      (t) => [t.at, t.temperatureC],
    ),
    ...(env.setPoints.length ? [sp] : []),
  ];
  const mb = groupBy(
    env.mainboard,
    (t) => t.serial,
    (t) => [t.at, t.temperatureC],
  );
  return {
    temperature: temp.length
      ? timeChartOption('Freezer: thermometer channels and set point', 'temperature [°C]', temp, {
          bands: last
            ? [
                {
                  label: `set point ±${env.bands.freezerBandC} °C`,
                  low: last.setPointC - env.bands.freezerBandC,
                  high: last.setPointC + env.bands.freezerBandC,
                },
              ]
            : [],
        })
      : null,
    humidity: env.humidity.length
      ? timeChartOption(
          'Humidity',
          'relative humidity [%]',
          groupBy(
            env.humidity,
            (h) => h.sensor,
            (h) => [h.at, h.relativeHumidityPct],
          ),
          {
            bands: [{ label: 'allowed', low: 0, high: env.bands.humidityMaxPct }],
            limits: [{ label: `limit ${env.bands.humidityMaxPct} %`, value: env.bands.humidityMaxPct }],
          },
        )
      : null,
    mainboard: mb.length ? timeChartOption('Mainboard temperatures of the D-Eggs', 'temperature [°C]', mb) : null,
  };
}

import type { EChartsOption } from 'echarts';
import { CHART_FONT } from './charts.js';

/**
 * Scatter and time-series plots (dark rate against temperature, linearity, sensors, the
 * environment) as ECharts options, like charts.ts: the dashboard draws them in the browser and a
 * report can render them to SVG with renderSvg.
 */
const COLOURS = ['#d84315', '#1565c0', '#2e7d32', '#6a1b9a', '#00838f', '#558b2f', '#ef6c00', '#37474f'];

const base = (title: string): EChartsOption => ({
  animation: false,
  backgroundColor: '#ffffff',
  color: COLOURS,
  textStyle: { fontFamily: CHART_FONT },
  title: { text: title, left: 'center', textStyle: { fontFamily: CHART_FONT, fontSize: 14 } },
  tooltip: { trigger: 'item' },
  legend: { bottom: 0, type: 'scroll', textStyle: { fontFamily: CHART_FONT } },
});

export interface XySeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  /** joined by a line (e.g. a reference or a fit) instead of markers */
  line?: boolean;
}

/** Points (and lines) on value axes, e.g. dark rate against temperature, observed against expected PE. */
export function xyChartOption(
  title: string,
  axes: { x: string; y: string; logY?: boolean; logX?: boolean },
  series: readonly XySeries[],
): EChartsOption {
  return {
    ...base(title),
    grid: { left: 75, right: 30, top: 45, bottom: 70 },
    xAxis: { type: axes.logX ? 'log' : 'value', name: axes.x, nameLocation: 'middle', nameGap: 28, scale: true },
    yAxis: { type: axes.logY ? 'log' : 'value', name: axes.y, nameLocation: 'middle', nameGap: 55, scale: true },
    series: series.map((s) =>
      s.line
        ? { type: 'line', name: s.name, showSymbol: false, data: s.points.map((p) => [...p]) }
        : { type: 'scatter', name: s.name, symbolSize: 7, data: s.points.map((p) => [...p]) },
    ),
  };
}

export interface TimeSeries {
  name: string;
  /** ISO times (or 'YYYY-MM-DD HH:MM:SS' UTC, as the store writes them) and values */
  points: ReadonlyArray<readonly [string, number]>;
  /** a set point: drawn as steps */
  step?: boolean;
}

/** A store time ('2026-11-28 00:23:12' is UTC) as milliseconds. */
export function timeMs(t: string): number {
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : t.replace(' ', 'T') + 'Z');
}

/**
 * Values over time; `bands` shade allowed ranges (e.g. humidity below its limit) and `limits`
 * draw horizontal lines.
 */
export function timeChartOption(
  title: string,
  yName: string,
  series: readonly TimeSeries[],
  opts: { bands?: Array<{ label: string; low: number; high: number }>; limits?: Array<{ label: string; value: number }> } = {},
): EChartsOption {
  const limits = opts.limits ?? [];
  const out: NonNullable<EChartsOption['series']> = series.map((s, i) => ({
    type: 'line',
    name: s.name,
    step: s.step ? 'end' : false,
    showSymbol: s.points.length < 60,
    symbolSize: 5,
    data: s.points.map(([t, v]) => [timeMs(t), v]),
    ...(i === 0 && (opts.bands?.length || opts.limits?.length)
      ? {
          markArea: opts.bands?.length
            ? {
                silent: true,
                itemStyle: { color: 'rgba(46,125,50,0.10)' },
                label: { position: 'insideTopLeft', fontSize: 9 },
                data: opts.bands.map((b) => [{ yAxis: b.low, name: b.label }, { yAxis: b.high }]),
              }
            : undefined,
          markLine: opts.limits?.length
            ? {
                symbol: 'none',
                lineStyle: { color: '#c62828', type: 'dashed' },
                label: { formatter: '{b}', position: 'insideEndTop', fontSize: 9 },
                data: opts.limits.map((l) => ({ yAxis: l.value, name: l.label })),
              }
            : undefined,
        }
      : {}),
  }));
  return {
    ...base(title),
    tooltip: { trigger: 'axis' },
    grid: { left: 75, right: 30, top: 45, bottom: 70 },
    xAxis: { type: 'time', name: 'time (UTC)', nameLocation: 'middle', nameGap: 28 },
    yAxis: {
      type: 'value',
      name: yName,
      nameLocation: 'middle',
      nameGap: 55,
      scale: true,
      // a limit stays in sight when every reading is far from it
      ...(limits.length
        ? {
            max: (e: { max: number }) => Math.max(e.max, ...limits.map((l) => l.value + 0.05 * Math.abs(l.value))),
            min: (e: { min: number }) => Math.min(e.min, ...limits.map((l) => l.value - 0.05 * Math.abs(l.value))),
          }
        : {}),
    },
    series: out,
  };
}

/** Histograms (e.g. SPE charges) as steps over bin centres, one per PMT, log count axis. */
export function histogramChartOption(
  title: string,
  xName: string,
  hists: ReadonlyArray<{ name: string; centres: readonly number[]; counts: readonly number[] }>,
): EChartsOption {
  return {
    ...base(title),
    tooltip: { trigger: 'axis' },
    grid: { left: 75, right: 30, top: 45, bottom: 70 },
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 28, scale: true },
    yAxis: { type: 'log', name: 'entries per bin', nameLocation: 'middle', nameGap: 55, min: 0.8 },
    series: hists.map((h) => ({
      type: 'line',
      name: h.name,
      step: 'middle',
      showSymbol: false,
      // a log axis has no zero: empty bins sit just below one entry
      data: h.centres.map((x, i) => [x, h.counts[i] > 0 ? h.counts[i] : 0.9]),
    })),
  };
}

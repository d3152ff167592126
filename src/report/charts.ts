import type { EChartsOption } from 'echarts';
import type { GainCurve } from '../records/api-types.js';

/**
 * The report plots as ECharts options: one definition for the browser (setOption on a live chart)
 * and for the server (renderSvg in svg.ts: ECharts' server-side SVG renderer, no DOM). Text is DejaVu Sans,
 * the font installed on the stations, so SVG, PNG and PDF look alike.
 */
export const CHART_FONT = 'DejaVu Sans';
export const VERDICT_COLOURS = { pass: '#2e7d32', marginal: '#e69500', fail: '#c62828', info: '#607d8b' } as const;
/** the colour of the fitted power law, so a reader (or a test) can find its path in the SVG */
export const FIT_COLOUR = '#1565c0';
const POINT_COLOURS = ['#d84315', '#6a1b9a', '#00838f', '#558b2f'];

const base = (title: string): EChartsOption => ({
  animation: false,
  backgroundColor: '#ffffff',
  textStyle: { fontFamily: CHART_FONT },
  title: { text: title, left: 'center', textStyle: { fontFamily: CHART_FONT, fontSize: 14 } },
});

/** Gain against HV: the scan points of each PMT and its fitted power law, log gain axis. */
export function gainChartOption(title: string, curves: readonly GainCurve[]): EChartsOption {
  const series: NonNullable<EChartsOption['series']> = [];
  curves.forEach((c, i) => {
    const colour = POINT_COLOURS[i % POINT_COLOURS.length];
    series.push({
      type: 'scatter',
      name: `${c.label} points`,
      symbol: 'circle',
      symbolSize: 7,
      itemStyle: { color: colour },
      data: c.points.map((p) => [p.hv, p.gain]),
    });
    if (c.fit) {
      const hvs = [...c.points.map((p) => p.hv), ...(c.hv1e7 && Number.isFinite(c.hv1e7) ? [c.hv1e7] : [])];
      const lo = Math.min(...hvs) * 0.97;
      const hi = Math.max(...hvs) * 1.03;
      const { norm, exp } = c.fit;
      series.push({
        type: 'line',
        name: `${c.label} fit`,
        showSymbol: false,
        smooth: false,
        lineStyle: { color: FIT_COLOUR, width: 1.5, type: i % 2 ? 'dashed' : 'solid' },
        itemStyle: { color: FIT_COLOUR },
        data: Array.from({ length: 41 }, (_, k) => {
          const v = lo + ((hi - lo) * k) / 40;
          return [v, norm * Math.pow(v, exp)];
        }),
        ...(c.hv1e7 && Number.isFinite(c.hv1e7)
          ? {
              markPoint: { symbol: 'pin', symbolSize: 28, data: [{ name: 'HV at 1e7', coord: [c.hv1e7, 1e7], value: c.hv1e7.toFixed(0) }] },
            }
          : {}),
      });
    }
  });
  return {
    ...base(title),
    legend: { bottom: 0, textStyle: { fontFamily: CHART_FONT } },
    grid: { left: 70, right: 30, top: 45, bottom: 70 },
    xAxis: { type: 'value', name: 'HV [V]', nameLocation: 'middle', nameGap: 28, scale: true },
    yAxis: { type: 'log', name: 'gain', nameLocation: 'middle', nameGap: 50 },
    series,
  };
}

export interface Bar {
  label: string;
  value: number;
  /** marks the bar (e.g. an outlier of the batch) */
  flagged?: boolean;
}

/** One bar per PMT (or module) with an optional limit line, e.g. HV at 1e7 across a batch. */
export function barChartOption(
  title: string,
  axisName: string,
  bars: readonly Bar[],
  limit?: { value: number; label: string },
  fromZero = true,
): EChartsOption {
  const many = bars.length > 4;
  return {
    ...base(title),
    grid: { left: 70, right: 30, top: 45, bottom: many ? 120 : 50 },
    xAxis: {
      type: 'category',
      data: bars.map((b) => b.label),
      axisLabel: { rotate: many ? 60 : 0, fontSize: 9, interval: 0 },
    },
    yAxis: {
      type: 'value',
      name: axisName,
      nameLocation: 'middle',
      nameGap: 50,
      scale: !fromZero,
      // the limit line stays visible when every bar is far below it
      ...(limit ? { max: (e: { max: number }) => Math.max(e.max, limit.value * 1.05) } : {}),
    },
    series: [
      {
        type: 'bar',
        name: axisName,
        data: bars.map((b) => ({ value: b.value, itemStyle: { color: b.flagged ? VERDICT_COLOURS.marginal : '#455a64' } })),
        ...(limit
          ? {
              markLine: {
                symbol: 'none',
                lineStyle: { color: VERDICT_COLOURS.fail },
                label: { formatter: limit.label, position: 'insideEndTop' },
                data: [{ yAxis: limit.value }],
              },
            }
          : {}),
      },
    ],
  };
}

/** Dark rate per PMT as bars, with the goalpost's upper limit as a line when given. */
export function darkRateChartOption(title: string, bars: readonly Bar[], limitHz?: number): EChartsOption {
  return barChartOption(
    title,
    'dark rate [Hz]',
    bars,
    limitHz === undefined ? undefined : { value: limitHz, label: `limit ${limitHz} Hz` },
  );
}

export interface BandMarker {
  label: string;
  value: number;
  low?: number;
  high?: number;
  units: string;
  verdict: keyof typeof VERDICT_COLOURS;
}

/**
 * Where a value sits in its goalpost band, 0 at the lower and 1 at the upper limit (a quantity with
 * only an upper limit: 0 at zero; only a lower one: 1 at twice the limit). Off-scale values are drawn
 * at the edge; the label carries the real value.
 */
export function bandPosition(m: Pick<BandMarker, 'value' | 'low' | 'high'>): number {
  const { value: v, low, high } = m;
  if (low !== undefined && high !== undefined) return high === low ? (v === low ? 0.5 : v < low ? -1 : 2) : (v - low) / (high - low);
  if (high !== undefined) return high === 0 ? (v <= 0 ? 0.5 : 2) : v / Math.abs(high);
  if (low !== undefined) return low === 0 ? (v >= 0 ? 0.5 : -1) : (v - low) / Math.abs(low);
  return 0.5;
}

/** Each judged result as a marker against its goalpost band (green area), coloured by verdict. */
export function goalpostChartOption(title: string, markers: readonly BandMarker[]): EChartsOption {
  const clamp = (x: number) => Math.max(-0.5, Math.min(1.5, x));
  const fmt = (m: BandMarker) => `${Number(m.value.toPrecision(4))}${m.units ? ` ${m.units}` : ''}`;
  return {
    ...base(title),
    grid: { left: 210, right: 90, top: 45, bottom: 45 },
    xAxis: {
      type: 'value',
      min: -0.5,
      max: 1.5,
      name: 'position in the goalpost band (0 = low, 1 = high limit)',
      nameLocation: 'middle',
      nameGap: 25,
    },
    yAxis: { type: 'category', inverse: true, data: markers.map((m) => m.label), axisLabel: { fontSize: 9 } },
    series: [
      {
        type: 'scatter',
        name: 'results',
        symbol: 'diamond',
        symbolSize: 10,
        data: markers.map((m, i) => ({ value: [clamp(bandPosition(m)), i], itemStyle: { color: VERDICT_COLOURS[m.verdict] } })),
        label: {
          show: true,
          position: 'right',
          fontSize: 9,
          formatter: (p: { dataIndex: number }) => fmt(markers[p.dataIndex]),
        },
        markArea: { silent: true, itemStyle: { color: 'rgba(46,125,50,0.12)' }, data: [[{ xAxis: 0 }, { xAxis: 1 }]] },
      },
    ],
  };
}

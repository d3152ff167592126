import { describe, expect, it } from 'vitest';
import {
  FIT_COLOUR,
  bandPosition,
  barChartOption,
  darkRateChartOption,
  gainChartOption,
  goalpostChartOption,
} from '../../src/report/charts.js';
import { renderSvg } from '../../src/report/svg.js';

/** The chart builders rendered by ECharts' server-side SVG renderer: titles, axes, one mark per point. */
const dataMarks = (svg: string, series: number) =>
  new Set(svg.match(new RegExp(`ecmeta_series_index="${series}" ecmeta_data_index="\\d+"`, 'g'))).size;

describe('report charts', () => {
  it('gain vs HV: the scan points, the fitted power law and the axis titles', () => {
    const norm = 1e-12;
    const exp = 6.5;
    const points = [1300, 1350, 1400, 1450, 1500].map((hv) => ({ hv, gain: norm * hv ** exp }));
    const svg = renderSvg(gainChartOption('Gain scan', [{ label: 'LowerPmt', points, fit: { norm, exp }, hv1e7: 1500 }]), {
      width: 640,
      height: 400,
    });
    expect(svg.startsWith('<svg')).toBe(true);
    for (const t of ['Gain scan', 'HV [V]', 'gain', 'LowerPmt fit', 'LowerPmt points']) expect(svg).toContain(t);
    expect(dataMarks(svg, 0)).toBe(5);
    // the fit is a polyline of many segments in its own colour
    const fit = svg.match(new RegExp(`<path d="M[^"]*"[^>]*stroke="${FIT_COLOUR}"`, 'g')) ?? [];
    expect(fit.some((p) => (p.match(/L/g) ?? []).length >= 30)).toBe(true);
    expect(svg).toContain('DejaVu Sans');
  });

  it('without a fit there is no curve', () => {
    const svg = renderSvg(gainChartOption('G', [{ label: 'UpperPmt', points: [{ hv: 1400, gain: 9e6 }] }]), { width: 400, height: 300 });
    expect(svg).not.toContain(`stroke="${FIT_COLOUR}"`);
    expect(dataMarks(svg, 0)).toBe(1);
  });

  it('dark rate per PMT: one bar each, the axis title and the limit', () => {
    const bars = [1, 2, 3, 4, 5, 6].map((i) => ({ label: `D${i} L`, value: 1000 + 100 * i }));
    const svg = renderSvg(darkRateChartOption('Dark rate', bars, 4000), { width: 640, height: 360 });
    for (const t of ['Dark rate', 'dark rate [Hz]', 'D1 L', 'D6 L', 'limit 4000 Hz']) expect(svg).toContain(t);
    expect(dataMarks(svg, 0)).toBe(6);
  });

  it('a flagged bar is drawn in the warning colour', () => {
    const svg = renderSvg(
      barChartOption('HV', 'HV at 1e7 [V]', [
        { label: 'a', value: 1400 },
        { label: 'b', value: 1900, flagged: true },
      ]),
      {
        width: 400,
        height: 300,
      },
    );
    expect(svg).toContain('HV at 1e7 [V]');
    expect(svg).toMatch(/fill="#e69500"/);
  });

  it('results against their goalpost bands: one marker per result, labelled with its value', () => {
    const svg = renderSvg(
      goalpostChartOption('Bands', [
        { label: 'gain.hv1e7 LowerPmt', value: 1500, low: 1000, high: 2000, units: 'V', verdict: 'pass' },
        { label: 'darkrate UpperPmt', value: 20000, high: 14000, units: 'Hz', verdict: 'fail' },
        { label: 'x', value: 3, low: 2, units: '', verdict: 'marginal' },
      ]),
      { width: 640, height: 300 },
    );
    for (const t of ['Bands', 'position in the goalpost band', 'gain.hv1e7 LowerPmt', '1500 V', '20000 Hz']) expect(svg).toContain(t);
    expect(dataMarks(svg, 0)).toBe(3);
    expect(svg).toMatch(/fill="#c62828"/);
  });

  it('band positions: 0 at the lower limit, 1 at the upper one', () => {
    expect(bandPosition({ value: 1000, low: 1000, high: 2000 })).toBe(0);
    expect(bandPosition({ value: 2000, low: 1000, high: 2000 })).toBe(1);
    expect(bandPosition({ value: 7000, high: 14000 })).toBe(0.5);
    expect(bandPosition({ value: 4, low: 2 })).toBe(1);
  });
});

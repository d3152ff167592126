/**
 * The offline gain analysis (analyze_gain.analysis_wrapper, original-system.md §6.3) over the
 * recorded points of a gain scan: each point's SPE fit, the power law G = A·V^k over all points,
 * V(1e7), and the SPE pulse height at gain 1e7. Pure: the caller reads the files.
 */
import { median } from './dark-rate.js';
import { fitGaussian, fitSpe } from './gaussian-fit.js';
import { TARGET_GAIN, fitPowerLaw, type PowerLawFit } from './gain.js';
import { histogram } from './histogram.js';
import { ADC_VOLTS, PC_PER_ADC_SAMPLE } from './visibility.js';

export interface GainPointData {
  hvVolts: number;
  chargesPc: Float64Array;
  /** each waveform's maximum above the baseline, ADC counts */
  amplitudesAdc: Float64Array;
}

export interface AnalysedGainPoint {
  hvVolts: number;
  gain: number;
  gainError: number;
  peakPc: number;
  sigmaPc: number;
  events: number;
  /** fitted SPE amplitude in ADC counts above the baseline, NaN when that fit failed */
  peakHeightAdc: number;
}

export interface SpePeakHeight {
  volts: number;
  method: 'amplitude-fit' | 'charge';
}

export interface GainScanAnalysis {
  points: AnalysedGainPoint[];
  /** points whose SPE fit did not converge: left out of the power law */
  rejected: Array<{ hvVolts: number; why: string }>;
  fit: PowerLawFit;
  hvAt1e7Volts: number;
  hvAt1e7ErrorVolts: number;
  /** 'power-law', or 'closest-point' when the law could not be fitted (fewer than two points, or not rising) */
  hvMethod: 'power-law' | 'closest-point';
  spePeakHeight: SpePeakHeight;
}

/** The SPE amplitude: a Gaussian over an 80-bin histogram of the waveforms' maxima up to 3× their median. */
export function fitPeakHeightAdc(amplitudesAdc: Float64Array): number {
  const med = median(amplitudesAdc);
  if (!(med > 0)) return NaN;
  const h = histogram(amplitudesAdc, 80, 0, 3 * med);
  const f = fitGaussian(h.centres, h.counts, { weighting: 'none', medianX: med });
  return f.converged && f.mu > 0 && f.mu < 3 * med ? f.mu : NaN;
}

/**
 * The SPE peak height at gain 1e7 in V: the fitted amplitude at the point closest to 1e7, scaled by
 * 1e7 / its gain. Without any amplitude fit, from the SPE charge at 1e7 (1.602 pC) over the charge
 * of one ADC count in one sample and the pulse's area per unit height (`pulseAreaSamplesPerPeak`).
 */
export function spePeakHeightAt1e7(
  points: ReadonlyArray<Pick<AnalysedGainPoint, 'gain' | 'peakHeightAdc'>>,
  pulseAreaSamplesPerPeak: number,
): SpePeakHeight {
  let best: Pick<AnalysedGainPoint, 'gain' | 'peakHeightAdc'> | null = null;
  for (const q of points)
    if (
      Number.isFinite(q.peakHeightAdc) &&
      (!best || Math.abs(Math.log(q.gain / TARGET_GAIN)) < Math.abs(Math.log(best.gain / TARGET_GAIN)))
    )
      best = q;
  if (best) return { volts: best.peakHeightAdc * (TARGET_GAIN / best.gain) * ADC_VOLTS, method: 'amplitude-fit' };
  const speAt1e7Pc = (TARGET_GAIN * 1.602176634e-19) / 1e-12;
  return { volts: (speAt1e7Pc / PC_PER_ADC_SAMPLE / pulseAreaSamplesPerPeak) * ADC_VOLTS, method: 'charge' };
}

/** One point: the SPE fit of its charges (gain = peak / e) and the fit of its amplitudes. */
export function analyseGainPoint(p: GainPointData): AnalysedGainPoint | { hvVolts: number; why: string } {
  if (p.chargesPc.length < 10) return { hvVolts: p.hvVolts, why: `only ${p.chargesPc.length} waveforms` };
  const spe = fitSpe(p.chargesPc);
  if (!(spe.fit.converged && spe.gain > 0 && Number.isFinite(spe.gain)))
    return {
      hvVolts: p.hvVolts,
      why: `the SPE fit did not converge (peak ${spe.peakPc.toFixed(3)} pC, median ${spe.medianPc.toFixed(3)} pC)`,
    };
  return {
    hvVolts: p.hvVolts,
    gain: spe.gain,
    gainError: Number.isFinite(spe.gainError) ? spe.gainError : 0,
    peakPc: spe.peakPc,
    sigmaPc: spe.sigmaPc,
    events: p.chargesPc.length,
    peakHeightAdc: fitPeakHeightAdc(p.amplitudesAdc),
  };
}

/**
 * The whole scan: every point fitted, the power law over the converged ones and V(1e7) from it
 * (the closest point's HV when the law cannot be fitted, as the online scan does). Throws when no
 * point could be fitted.
 */
export function analyseGainScan(data: readonly GainPointData[], pulseAreaSamplesPerPeak: number): GainScanAnalysis {
  const points: AnalysedGainPoint[] = [];
  const rejected: Array<{ hvVolts: number; why: string }> = [];
  for (const d of [...data].sort((a, b) => a.hvVolts - b.hvVolts)) {
    const r = analyseGainPoint(d);
    if ('why' in r) rejected.push(r);
    else points.push(r);
  }
  if (!points.length)
    throw new Error(
      data.length
        ? `no point of the scan could be fitted (${rejected.map((r) => `${r.hvVolts} V: ${r.why}`).join('; ')})`
        : 'the scan has no points',
    );
  const fit = fitPowerLaw(points.map((q) => ({ hvVolts: q.hvVolts, gain: q.gain, gainError: q.gainError })));
  let hv = fit.hvAt1e7Volts;
  let hvErr = fit.hvAt1e7ErrorVolts;
  let hvMethod: GainScanAnalysis['hvMethod'] = 'power-law';
  if (!Number.isFinite(hv)) {
    let best = points[0];
    for (const q of points) if (Math.abs(Math.log(q.gain / TARGET_GAIN)) < Math.abs(Math.log(best.gain / TARGET_GAIN))) best = q;
    hv = best.hvVolts;
    hvErr = NaN;
    hvMethod = 'closest-point';
  }
  return {
    points,
    rejected,
    fit,
    hvAt1e7Volts: hv,
    hvAt1e7ErrorVolts: hvErr,
    hvMethod,
    spePeakHeight: spePeakHeightAt1e7(points, pulseAreaSamplesPerPeak),
  };
}

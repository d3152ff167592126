/**
 * The baseline of a PMT as measure_pmt_baseline.py's calc_baseline computed it: the mean and the
 * standard deviation over every sample of every waveform (original-system.md §6.2).
 */
export interface BaselineStats {
  meanAdc: number;
  stdAdc: number;
  samples: number;
}

export function baselineStats(adc: ArrayLike<number>): BaselineStats {
  const n = adc.length;
  if (!n) throw new Error('baseline: no samples');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += adc[i];
  const mean = sum / n;
  // two passes: the samples sit near 8000 with a spread of a few counts, one pass would lose digits
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = adc[i] - mean;
    ss += d * d;
  }
  return { meanAdc: mean, stdAdc: Math.sqrt(ss / n), samples: n };
}

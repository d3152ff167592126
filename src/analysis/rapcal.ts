/**
 * RapCal, the reciprocal time calibration between a field hub and an in-ice ICM (IceCube Gen1
 * instrumentation paper, arXiv:1612.05093, eqs. 3.6-3.9), computed as the public RapCal client
 * does (degg_scan fh_server tools, rapcal.py: RapCalEvent.baseline_zero_crossing with
 * ALGO_LINEAR_FIT, RapCalEvent.cable_delay, RapCalPair, dom2surface).
 *
 * One exchange: the hub sends at T_tx_dor (hub counts, 60 MHz), the ICM latches the arrival at
 * T_rx_dom (its own counts) and answers at T_tx_dom, the hub latches that at T_rx_dor. Each
 * latched count is corrected to the pulse's zero crossing, found in its 30 MHz samples. With a
 * symmetric cable, the midpoints of the two sides are the same instant; two exchanges give the
 * ICM's rate against the hub (epsilon), and then any ICM-clocked time (a D-Egg's 240 MHz
 * timestamp is four times the ICM's count) converts to hub time.
 */
export const ICM_CLOCK_HZ = 60e6;
export const DEGG_CLOCK_HZ = 240e6;
const BASELINE_SAMPLES = 20;
const CROSS_WINDOW = 2;
const FIRST_TRIGGER_SAMPLE = 3;

export interface RapcalExchange {
  txDor: number;
  rxDom: number;
  txDom: number;
  rxDor: number;
  domWaveform: ArrayLike<number>;
  domTrigger: ArrayLike<number>;
  dorWaveform: ArrayLike<number>;
  dorTrigger: ArrayLike<number>;
}

export interface RapcalTimes {
  txDor: number;
  txDom: number;
  rxDorCorrected: number;
  rxDomCorrected: number;
  /** midpoints of the hub's and the ICM's side (counts): the same instant */
  centreDor: number;
  centreDom: number;
}

export class RapcalError extends Error {}

/**
 * How many 30 MHz samples the latched count lies after the pulse's falling zero crossing: the
 * baseline (mean of the first 20 samples after the first) taken off, the first trigger at sample
 * 3 or later, the last baseline crossing before it, a straight line through the three samples
 * ending there.
 */
export function fineDelaySamples(waveform: ArrayLike<number>, trigger: ArrayLike<number>): number {
  const n = waveform.length - 2;
  const wfm = new Float64Array(n);
  let base = 0;
  for (let i = 0; i < BASELINE_SAMPLES; i++) base += waveform[i + 1];
  base /= BASELINE_SAMPLES;
  for (let i = 0; i < n; i++) wfm[i] = waveform[i + 1] - base;
  let end = -1;
  for (let i = FIRST_TRIGGER_SAMPLE; i < trigger.length - 1 && end < 0; i++) if (trigger[i]) end = i;
  if (end < 0) throw new RapcalError('no trigger in the RapCal waveform');
  let cross = -1;
  for (let i = Math.min(end, n - 1); i > 1 && cross < 0; i--) if (wfm[i - 1] > 0 && wfm[i] <= 0) cross = i;
  if (cross < 0) throw new RapcalError('no zero crossing in the RapCal waveform');
  // least-squares line through (x, wfm[x]) for x = cross-2 .. cross
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  const m = CROSS_WINDOW + 1;
  for (let x = cross - CROSS_WINDOW; x <= cross; x++) {
    sx += x;
    sy += wfm[x];
    sxx += x * x;
    sxy += x * wfm[x];
  }
  const slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
  const intercept = (sy - slope * sx) / m;
  return end + intercept / slope;
}

export function analyseRapcal(e: RapcalExchange): RapcalTimes {
  if (e.txDor >= e.rxDor || e.txDom <= e.rxDom)
    throw new RapcalError(
      `RapCal causality violation (T_tx_dor ${e.txDor}, T_rx_dor ${e.rxDor}, T_rx_dom ${e.rxDom}, T_tx_dom ${e.txDom})`,
    );
  // the samples run at 30 MHz, the counts at 60 MHz
  const rxDorCorrected = e.rxDor - 2 * fineDelaySamples(e.dorWaveform, e.dorTrigger);
  const rxDomCorrected = e.rxDom - 2 * fineDelaySamples(e.domWaveform, e.domTrigger);
  return {
    txDor: e.txDor,
    txDom: e.txDom,
    rxDorCorrected,
    rxDomCorrected,
    centreDor: 0.5 * (e.txDor + rxDorCorrected),
    centreDom: 0.5 * (e.txDom + rxDomCorrected),
  };
}

export interface RapcalPair {
  /** hub interval = (1 + epsilon) x ICM interval */
  epsilon: number;
  /** one-way cable delay from each exchange (s) */
  cableDelaysS: [number, number];
  /** the later exchange, which the conversion starts from */
  rc1: RapcalTimes;
}

export function rapcalPair(rc0: RapcalTimes, rc1: RapcalTimes): RapcalPair {
  const epsilon = (rc1.centreDor - rc0.centreDor) / (rc1.centreDom - rc0.centreDom) - 1;
  const cable = (rc: RapcalTimes) => (0.5 * (rc.rxDorCorrected - rc.txDor - (1 + epsilon) * (rc.txDom - rc.rxDomCorrected))) / ICM_CLOCK_HZ;
  return { epsilon, cableDelaysS: [cable(rc0), cable(rc1)], rc1 };
}

/**
 * A D-Egg's 240 MHz timestamp as hub time in seconds (dom2surface without the client's UTC
 * offset: the hubs' GPS-disciplined counts are already a common time). The difference to the
 * exchange is taken in counts first, where a double still resolves a fraction of a tick.
 */
export function deggTicksToHubS(pair: RapcalPair, ticks: number): number {
  const sinceExchange = (ticks - (DEGG_CLOCK_HZ / ICM_CLOCK_HZ) * pair.rc1.centreDom) / DEGG_CLOCK_HZ;
  return (1 + pair.epsilon) * sinceExchange + pair.rc1.centreDor / ICM_CLOCK_HZ;
}

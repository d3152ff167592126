import path from 'node:path';
import { z } from 'zod';
import { baselineStats } from '../analysis/baseline.js';
import { newDataDir } from '../station/data-dirs.js';
import { type ResultInput } from '../records/results.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import { writeHdf5 } from '../store/hdf5.js';
import { rounds } from './rounds.js';
import { PMTS, pmtSerialOf, where, type PmtIdentity, pmtFileAttrs, pmtIdentity } from './pmt-json.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { eachModule, measurementFailures } from './module-jobs.js';
import { iniInt, iniText } from './values.js';
import { resultRow } from './result-rows.js';

/**
 * `measure_baseline` (measure_pmt_baseline.py, original-system.md §6.2): per PMT 50 software-
 * triggered waveforms of 1024 samples at the given DAC, the HV left as it is; the baseline is the
 * mean (and std) over every sample. Raw waveforms go to `baseline/YYYYMMDD_NN/<PMT>.hdf5`, which
 * becomes the PMT's `BaselineFilename`.
 */
export const BASELINE = {
  samples: 1024,
  waveforms: 50,
  swPeriodMs: 10,
  /** the DAC every other measurement expects; restored after a run at another DAC */
  standardDac: 30000,
};

const params = z.object({
  comment: iniText().default(''),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4),
  dac_value: iniInt({ min: 0, max: 65535 }).default(30000).describe('baseline DAC setting'),
});
type P = z.infer<typeof params>;

export interface Waveforms {
  adc: Uint16Array;
  timestamps: Float64Array;
}

/** `n` software-triggered waveforms of `samples` samples of one channel, checked for channel and length */
export async function swWaveforms(
  s: IcebootSession,
  ch: PmtChannel,
  n: number,
  samples: number,
  periodMs: number,
  at: string,
): Promise<Waveforms> {
  await s.setConstReadout(ch, samples);
  await s.startSwTrigStream(ch, periodMs);
  const adc = new Uint16Array(n * samples);
  const timestamps = new Float64Array(n);
  try {
    for (let i = 0; i < n; i++) {
      const w = await s.readWaveformFromStream();
      if (w.count !== 1) throw new Error(`${at}: software trigger ${i + 1} of ${n} gave ${w.count} waveforms, expected 1`);
      if (w.channel[0] !== ch)
        throw new Error(`${at}: software-triggered waveform ${i + 1} is from channel ${w.channel[0]}, expected ${ch}`);
      if (w.sampleCount[0] !== samples)
        throw new Error(`${at}: software-triggered waveform ${i + 1} has ${w.sampleCount[0]} samples, expected ${samples}`);
      adc.set(w.adc.subarray(w.adcOffset[0], w.adcOffset[1]), i * samples);
      timestamps[i] = w.timestamp[0];
    }
  } finally {
    await s.disableTriggers(ch);
  }
  return { adc, timestamps };
}

export interface PmtBaseline extends PmtIdentity {
  channel: PmtChannel;
  dac: number;
  hvVolts: number;
  meanAdc: number;
  stdAdc: number;
  file: string;
  key: string;
}

async function measureModule(ctx: TaskContext, p: P, m: ActiveModule, dir: string): Promise<PmtBaseline[]> {
  return ctx.lab.module(m.port, async (s) => {
    const out: PmtBaseline[] = [];
    for (const ch of [0, 1] as const) {
      const pmt = PMTS[ch];
      const pmtSerial = await pmtSerialOf(ctx.ws, m, pmt);
      const hvVolts = (await s.hvReadback(ch)).hvVolts;
      await s.setBaselineDac(ch, p.dac_value);
      const w = await swWaveforms(s, ch, BASELINE.waveforms, BASELINE.samples, BASELINE.swPeriodMs, where(m, pmt));
      if (p.dac_value !== BASELINE.standardDac) await s.setBaselineDac(ch, BASELINE.standardDac);
      const b = baselineStats(w.adc);
      const file = path.join(dir, `${pmtSerial}.hdf5`);
      await writeHdf5(file, {
        attrs: {
          ...pmtFileAttrs(m, pmt, pmtSerial),
          channel: ch,
          hv_volts: hvVolts,
          dac: p.dac_value,
          samples: BASELINE.samples,
          waveforms: BASELINE.waveforms,
          trigger: 'software',
          sw_period_ms: BASELINE.swPeriodMs,
          baseline_adc: b.meanAdc,
          baseline_std_adc: b.stdAdc,
          time: new Date(ctx.ws.clock.now()).toISOString(),
        },
        datasets: {
          waveforms: { data: w.adc, shape: [BASELINE.waveforms, BASELINE.samples], attrs: { units: 'ADC counts' } },
          timestamp_ticks: { data: w.timestamps, attrs: { units: '240 MHz FPGA clock ticks' } },
        },
      });
      const key = await ctx.record.entry(
        m.jsonFile,
        'BaselineMeasurement',
        {
          Folder: dir,
          Comment: p.comment,
          Baseline: b.meanAdc,
          BaselineStd: b.stdAdc,
          DAC: p.dac_value,
          Samples: BASELINE.samples,
          Events: BASELINE.waveforms,
          HV: hvVolts,
          Filename: file,
          TaskId: ctx.task.id,
        },
        pmt,
      );
      await ctx.record.update(m.jsonFile, (doc) => {
        (doc[pmt] as Record<string, unknown>).BaselineFilename = file;
      });
      out.push({
        ...pmtIdentity(m, pmt, pmtSerial),
        channel: ch,
        dac: p.dac_value,
        hvVolts,
        meanAdc: b.meanAdc,
        stdAdc: b.stdAdc,
        file,
        key,
      });
    }
    return out;
  });
}

/** the goalposts are for DAC 30000; at another DAC the mean is recorded without a verdict */
function resultRows(x: PmtBaseline): ResultInput[] {
  const detail = { dac: x.dac, hvVolts: x.hvVolts, samples: BASELINE.samples * BASELINE.waveforms };
  return [
    resultRow(x, x.dac === BASELINE.standardDac ? 'baseline.mean' : 'baseline.mean_other_dac', { value: x.meanAdc, detail }),
    resultRow(x, 'baseline.std', { value: x.stdAdc, detail }),
  ];
}

export const kind = {
  name: 'measure_baseline',
  summary: 'baseline: 50 waveforms of 1024 samples per PMT',
  quantities: ['baseline.mean', 'baseline.mean_other_dac', 'baseline.std'],
  params,
  positional: ['comment', 'n_jobs', 'dac_value'],
  estimateS: (p, m) => 30 + rounds(m, p.n_jobs) * 2 * 20,
  async run(ctx, p) {
    const ws = ctx.ws;
    const modules = [...ctx.modules];
    if (!modules.length) throw new Error('measure_baseline: the run has no active modules');
    const dir = newDataDir(ws.home.dataDir, 'baseline', ws.clock.now());
    const pmts: PmtBaseline[] = [];
    const log = measurementFailures(ctx, 'baseline', 'measure_baseline');
    let done = 0;
    const onFail = async (m: ActiveModule) => ctx.progress(++done / modules.length, `${m.serial}: failed`);
    await eachModule(ctx, modules, { jobs: p.n_jobs, log, onFail }, async (m) => {
      const r = await measureModule(ctx, p, m, dir);
      pmts.push(...r);
      ctx.progress(
        ++done / modules.length,
        `${m.serial}: ${r.map((x) => `${x.pmt} ${x.meanAdc.toFixed(1)} ± ${x.stdAdc.toFixed(2)} ADC`).join(', ')}`,
      );
    });
    if (!pmts.length) throw new Error(`measure_baseline measured no module: ${log.summary()}`);
    pmts.sort((a, b) => a.port - b.port || a.channel - b.channel);
    await ctx.record.results('measure_baseline', dir, pmts.flatMap(resultRows));
    return {
      folder: dir,
      dac: p.dac_value,
      waveforms: BASELINE.waveforms,
      samples: BASELINE.samples,
      pmts: pmts.map(({ port, serial, pmt, pmtSerial, hvVolts, meanAdc, stdAdc, file, key }) => ({
        port,
        serial,
        pmt,
        pmtSerial,
        hvVolts,
        baselineAdc: meanAdc,
        baselineStdAdc: stdAdc,
        file,
        key,
      })),
      failures: log.failures,
    };
  },
} satisfies TaskKind<P>;

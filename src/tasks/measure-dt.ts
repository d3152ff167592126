import type { DocStore } from '../records/json-docs.js';
import path from 'node:path';
import { z } from 'zod';
import { scalerThreshold, type TriggerType } from '../analysis/dark-rate.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import { rounds } from './rounds.js';
import { acquireDeltaT, writeDeltaT, type DeltaTData } from './dt-acquire.js';
import { HV_RAMP_S, startMonitoring } from './monitor-common.js';
import { PMTS, pmtFields, pmtSerialOf, where, type PmtName, type PmtIdentity, pmtFileAttrs } from './pmt-json.js';
import { SCALER, scalerBaseline } from './scaler-windows.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { eachModule } from './module-jobs.js';
import { iniBool, iniInt, iniText } from './values.js';
import { recordResultRows } from './result-rows.js';

/**
 * `measure_spe` (alias `dt`; measure_dt.py, original-system.md §6.5): `n_events` dark charge
 * stamps per PMT with the FIR (or ADC) trigger at 0.25 PE, laser off, HV at the set point; the Δt
 * between successive triggers gives the rate and the correlated short-Δt fraction.
 */
const params = z.object({
  comment: iniText().default(''),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4),
  n_events: iniInt({ min: 10, max: 1_000_000 }).default(10000).describe('dark triggers per PMT'),
  use_fir: iniBool(true),
});
type P = z.infer<typeof params>;

export interface PmtDeltaT extends PmtIdentity {
  channel: PmtChannel;
  hvVolts: number;
  baselineAdc: number;
  temperatureC: number;
  data: DeltaTData;
  file: string;
}

/** The 0.25 PE threshold from the PMT's SPEPeakHeight, as for the scalers. */
export async function quarterPeThreshold(ws: DocStore, m: ActiveModule, pmt: PmtName): Promise<number> {
  const spe = Number((await pmtFields(ws, m.jsonFile, pmt)).SPEPeakHeight ?? -1);
  try {
    return scalerThreshold(spe).thresholdAdc;
  } catch (e) {
    throw new Error(`${where(m, pmt)}: ${(e as Error).message}`, { cause: e });
  }
}

/** Δt of one PMT in an open session: baseline, threshold, stamps, HDF5 `<file>`. */
export async function deltaTOfPmt(
  ctx: TaskContext,
  s: IcebootSession,
  m: ActiveModule,
  ch: PmtChannel,
  trigger: TriggerType,
  events: number,
  thresholdAdc: number,
  file: string,
): Promise<PmtDeltaT> {
  const pmt = PMTS[ch];
  const hvVolts = (await s.hvReadback(ch)).hvVolts;
  const baselineAdc = await scalerBaseline(s, ch, m);
  const t0 = await s.temperatureC();
  const data = await acquireDeltaT(ctx, s, m, ch, baselineAdc, thresholdAdc, trigger, events);
  const temperatureC = (t0 + (await s.temperatureC())) / 2;
  const pmtSerial = await pmtSerialOf(ctx.ws, m, pmt);
  await writeDeltaT(file, data, {
    ...pmtFileAttrs(m, pmt, pmtSerial),
    channel: ch,
    hv_volts: hvVolts,
    dac: SCALER.dac,
    baseline_adc: baselineAdc,
    mainboard_temp_c: temperatureC,
    time: new Date(ctx.ws.clock.now()).toISOString(),
  });
  return { port: m.port, serial: m.serial, pmt, pmtSerial, channel: ch, hvVolts, baselineAdc, temperatureC, data, file };
}

/** the DeltaTMeasurement entry of one PMT */
async function addDeltaTEntry(ctx: TaskContext, p: P, m: ActiveModule, dir: string, pmt: PmtName, x: PmtDeltaT): Promise<void> {
  const a = x.data.analysis;
  await ctx.record.entry(
    m.jsonFile,
    'DeltaTMeasurement',
    {
      Folder: dir,
      Filename: x.file,
      Comment: p.comment,
      n_events: a.events,
      use_fir: p.use_fir,
      Threshold: x.data.thresholdAdc,
      Baseline: x.baselineAdc,
      HV: x.hvVolts,
      MainboardTemp: x.temperatureC,
      RateHz: a.rateHz,
      ShortDtWindowS: a.shortWindowS,
      ShortDtFraction: a.shortFraction,
      CorrelatedFraction: a.correlatedFraction,
      TaskId: ctx.task.id,
    },
    pmt,
  );
}

export const kind = {
  name: 'measure_spe',
  aliases: ['dt'],
  summary: 'delta-t / correlated noise, 10000 dark events per PMT',
  quantities: ['dt.rate'],
  params,
  positional: ['comment', 'n_jobs', 'n_events', 'use_fir'],
  estimateS: (p, m) => HV_RAMP_S + rounds(m, p.n_jobs) * 2 * p.n_events * 0.02,
  async run(ctx, p) {
    const trigger: TriggerType = p.use_fir ? 'fir' : 'adc';
    const { log, dir, todo } = await startMonitoring(ctx, 'measure_spe', 'delta_t');
    const out: PmtDeltaT[] = [];
    await eachModule(ctx, todo, { jobs: p.n_jobs, log }, async (m) => {
      await ctx.lab.module(m.port, async (s) => {
        for (const ch of [0, 1] as const) {
          const pmt = PMTS[ch];
          const x = await deltaTOfPmt(
            ctx,
            s,
            m,
            ch,
            trigger,
            p.n_events,
            await quarterPeThreshold(ctx.ws, m, pmt),
            path.join(dir, `${await pmtSerialOf(ctx.ws, m, pmt)}.hdf5`),
          );
          const a = x.data.analysis;
          await addDeltaTEntry(ctx, p, m, dir, pmt, x);
          out.push(x);
          ctx.progress(
            out.length / (2 * todo.length),
            `${where(m, pmt)}: ${a.rateHz.toFixed(0)} Hz, ${(100 * a.correlatedFraction).toFixed(2)}% correlated`,
          );
        }
      });
    });
    if (!out.length) throw new Error(`measure_spe measured no PMT: ${log.summary()}`);
    out.sort((a, b) => a.port - b.port || a.channel - b.channel);
    await recordResultRows(ctx, 'measure_spe', dir, out, 'dt.rate', (x) => ({
      value: x.data.analysis.rateHz,
      detail: { correlatedFraction: x.data.analysis.correlatedFraction, temperatureC: x.temperatureC, events: x.data.analysis.events },
    }));
    return {
      folder: dir,
      trigger,
      events: p.n_events,
      pmts: out.map((x) => ({
        port: x.port,
        serial: x.serial,
        pmt: x.pmt,
        pmtSerial: x.pmtSerial,
        rateHz: x.data.analysis.rateHz,
        shortFraction: x.data.analysis.shortFraction,
        correlatedFraction: x.data.analysis.correlatedFraction,
        temperatureC: x.temperatureC,
        thresholdAdc: x.data.thresholdAdc,
        file: x.file,
      })),
      failures: log.failures,
    };
  },
} satisfies TaskKind<P>;

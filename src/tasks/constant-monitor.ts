import path from 'node:path';
import { z } from 'zod';
import type { TriggerType } from '../analysis/dark-rate.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import { rounds } from './rounds.js';
import { speAtHv } from './gain-check.js';
import { finishMonitoring, monitorRounds, startMonitoring, type MonitorRound } from './monitor-common.js';
import { darkSteps, thresholdFrom } from './monitor-pmt.js';
import { PMTS, pmtSerialOf, where } from './pmt-json.js';
import { darkRateGoalpost, DARK_RATE_QUANTITIES } from './scaler-windows.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { iniBool, iniInt } from './values.js';

/**
 * `constant_monitor` (monitoring/ritual.py, original-system.md §6.12): at the fixed HV, per PMT
 * the HV readback, pressure and temperature, a gain check (SPE charge; warns outside 1.4-1.8 pC,
 * "expected peak position of 1.6"), scalers at 0.25 PE and Δt; `max_i` times. `ignore_warn`
 * keeps the SPE-charge warnings in the log.
 */
export const SPE_CHARGE_WARN_PC = [1.4, 1.8] as const;

const params = z.object({
  max_i: iniInt({ min: 1 }).default(1),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4),
  use_fir: iniBool(true),
  verbose: iniBool(true),
  ignore_warn: iniBool(false),
  n_gain_events: iniInt({ min: 100 }).default(30000),
  n_runs: iniInt({ min: 10 }).default(1000),
  n_dt_events: iniInt({ min: 10 }).default(10000),
});
type P = z.infer<typeof params>;

/** The SPE charge at the PMT's HV, warned (or logged, with ignore_warn) outside the expected range. */
async function speStep(ctx: TaskContext, p: P, s: IcebootSession, m: ActiveModule, ch: PmtChannel, hvVolts: number, file: string) {
  const pmt = PMTS[ch];
  const spe = await speAtHv(ctx, s, m, ch, hvVolts, p.n_gain_events, file);
  const inRange = spe.peakPc >= SPE_CHARGE_WARN_PC[0] && spe.peakPc <= SPE_CHARGE_WARN_PC[1];
  if (!inRange)
    ctx.emit({
      level: p.ignore_warn ? 'info' : 'warn',
      kind: 'monitor.spe-charge',
      message: `constant_monitor: ${where(m, pmt)}: SPE peak at ${spe.peakPc.toFixed(3)} pC at ${hvVolts.toFixed(0)} V is outside ${SPE_CHARGE_WARN_PC.join('-')} pC (expected peak position of 1.6)`,
      audience: p.ignore_warn ? 'log' : 'people',
      data: { port: m.port, pmt, peakPc: spe.peakPc },
    });
  return { spe, inRange };
}

/** One PMT in iteration `i`: SPE charge at its HV (warned outside the range), scalers, Δt, the entry. */
async function monitorPmt(
  ctx: TaskContext,
  p: P,
  s: IcebootSession,
  m: ActiveModule,
  ch: PmtChannel,
  i: number,
  pressureHpa: number,
  a: MonitorRound,
): Promise<void> {
  const { dir, trigger } = a;
  const pmt = PMTS[ch];
  const at = { port: m.port, serial: m.serial, pmt };
  const hvVolts = (await s.hvReadback(ch)).hvVolts;
  const temperatureC = await s.temperatureC();
  const tag = `${i}`;
  const { spe, inRange } = await speStep(
    ctx,
    p,
    s,
    m,
    ch,
    hvVolts,
    path.join(dir, `${await pmtSerialOf(ctx.ws, m, pmt)}_gain_${tag}.hdf5`),
  );
  const d = await darkSteps(ctx, s, m, ch, {
    trigger,
    thresholdAdc: await thresholdFrom(ctx.ws, m, ch, spe),
    baselineAdc: spe.baselineAdc,
    nRuns: p.n_runs,
    nDtEvents: p.n_dt_events,
    dir,
    tag,
  });
  const key = await ctx.record.entry(
    m.jsonFile,
    'AdvancedMonitoring',
    {
      Folder: dir,
      Iteration: i,
      use_fir: p.use_fir,
      HV: hvVolts,
      Pressure: pressureHpa,
      MainboardTemp: temperatureC,
      Baseline: spe.baselineAdc,
      Gain: spe.gain,
      SPEPeakCharge: spe.peakPc,
      SPEChargeInRange: inRange,
      Threshold: d.thresholdAdc,
      DarkRateMeanHz: d.darkRateHz,
      DarkRateStdHz: d.darkRateStdHz,
      DtRateHz: d.dt.data.analysis.rateHz,
      CorrelatedFraction: d.dt.data.analysis.correlatedFraction,
      GainFilename: spe.file,
      ScalerFilename: d.scalerFile,
      DtFilename: d.dt.file,
      TaskId: ctx.task.id,
    },
    pmt,
  );
  a.rows.push(
    { ...at, name: 'monitor.spe_charge', value: spe.peakPc, detail: { hvVolts, gain: spe.gain, iteration: i } },
    { ...at, name: darkRateGoalpost(trigger, temperatureC), value: d.darkRateHz, detail: { temperatureC, iteration: i } },
    {
      ...at,
      name: 'dt.rate',
      value: d.dt.data.analysis.rateHz,
      detail: { correlatedFraction: d.dt.data.analysis.correlatedFraction },
    },
  );
  a.summary.push({ ...at, iteration: i, hvVolts, temperatureC, peakPc: spe.peakPc, darkRateHz: d.darkRateHz, key });
  if (p.verbose)
    ctx.progress(
      a.summary.length / (2 * a.modules * p.max_i),
      `${where(m, pmt)}: ${spe.peakPc.toFixed(3)} pC, ${d.darkRateHz.toFixed(0)} Hz at ${temperatureC.toFixed(1)} °C`,
    );
}

export const kind: TaskKind<P> = {
  name: 'constant_monitor',
  summary: 'monitoring at fixed HV: gain check, scalers, delta-t',
  quantities: ['dt.rate', 'monitor.spe_charge', 'monitor.pressure', ...DARK_RATE_QUANTITIES],
  params,
  positional: ['max_i', 'n_jobs', 'use_fir', 'verbose', 'ignore_warn'],
  listed: false,
  estimateS: (p, m) => p.max_i * (60 + rounds(m, p.n_jobs) * 2 * (p.n_gain_events / 1000 + p.n_runs * 0.1 + p.n_dt_events / 1500 + 10)),
  async run(ctx, p) {
    const trigger: TriggerType = p.use_fir ? 'fir' : 'adc';
    const mon = await startMonitoring(ctx, 'constant_monitor', 'constant_monitor');
    const a: MonitorRound = { dir: mon.dir, trigger, modules: mon.todo.length, rows: [], summary: [] };
    await monitorRounds(ctx, mon, { jobs: p.n_jobs, maxI: p.max_i }, async (s, m, i) => {
      const pressureHpa = await s.pressure();
      for (const ch of [0, 1] as const) await monitorPmt(ctx, p, s, m, ch, i, pressureHpa, a);
      a.rows.push({ port: m.port, serial: m.serial, name: 'monitor.pressure', value: pressureHpa, detail: { iteration: i } });
    });
    return finishMonitoring(ctx, 'constant_monitor', mon, a.rows, a.summary);
  },
};
